// The fence on the head's services (DESIGN.md section 3): the checkpointer,
// the experiment registry and the log aggregator, spawned with the head's
// membership, refuse a write whose frame carries a fenced (or unknown) node
// epoch with errc::fenced naming the door and why, and store nothing of it;
// a live epoch's and a driver's (epoch 0) writes land.
#include <catch2/catch.hpp>

#include <filesystem>

#include "actor_env.hpp"
#include "actors/services.hpp"
#include "schemas/experiment.capnp.h"
#include "supervision/membership.hpp"
#include "temp_dir.hpp"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/read.hpp"

using namespace lagom;

namespace {

wire::frame with_epoch(wire::frame f, uint64_t epoch) {
  f.set_epoch(epoch);
  return f;
}

wire::frame save_frame(uint64_t step, const std::string& payload) {
  return wire::build<schema::CheckpointSave>([&](schema::CheckpointSave::Builder b) {
    b.setExperiment("fenced-exp");
    b.setRun(0);
    b.setStep(step);
    b.setPayload(
      kj::arrayPtr(reinterpret_cast<const capnp::byte*>(payload.data()), payload.size()));
  });
}

struct fixture {
  test::temp_dir data{"lagom-fence"};
  test::actor_env env;
  std::shared_ptr<supervision::membership> members =
    std::make_shared<supervision::membership>(4242);
  actors::service_handles s;
  uint64_t live = 0, stale = 0;

  fixture() {
    REQUIRE(actors::spawn_services(env.sys(), data.path(), s, members).is_ok());
    env.keep(s.registry);
    env.keep(s.checkpointer);
    env.keep(s.logs);
    stale = members->admit("node-a");
    live = members->admit("node-b");
    members->fence(stale, "no heartbeat for 1000 ms");
  }

  // The newest checkpoint's step and payload ("" when none).
  std::string newest(uint64_t& step) {
    wire::frame reply;
    auto f = wire::build<schema::CheckpointLoad>([&](schema::CheckpointLoad::Builder b) {
      b.setExperiment("fenced-exp");
      b.setRun(0);
    });
    REQUIRE(env.ask(s.checkpointer, reply, atoms::load::value, f).is_ok());
    std::string payload;
    wire::read<schema::CheckpointData>(reply, [&](schema::CheckpointData::Reader r) {
      step = r.getFound() ? r.getStep() : 0;
      auto p = r.getPayload();
      payload.assign(reinterpret_cast<const char*>(p.begin()), p.size());
      return status::ok();
    });
    return payload;
  }
};

} // namespace

TEST_CASE("the checkpointer refuses a save of a fenced epoch and keeps the live one's") {
  fixture fx;
  wire::frame reply;
  REQUIRE(fx.env.ask(fx.s.checkpointer, reply, atoms::save::value,
                     with_epoch(save_frame(5, "live"), fx.live))
            .is_ok());
  auto st = fx.env.ask(fx.s.checkpointer, reply, atoms::save::value,
                       with_epoch(save_frame(6, "stale"), fx.stale));
  REQUIRE_FALSE(st);
  CHECK(st.code() == errc::fenced);
  CHECK(st.where() == "checkpointer: save");
  CHECK(st.message().find("node-a") != std::string::npos);
  CHECK(st.message().find("no heartbeat for 1000 ms") != std::string::npos);
  // The same step as a live one: the stale write must not replace it.
  CHECK(fx.env.ask(fx.s.checkpointer, reply, atoms::save::value,
                   with_epoch(save_frame(5, "stale"), fx.stale))
          .code() == errc::fenced);
  uint64_t step = 0;
  CHECK(fx.newest(step) == "live");
  CHECK(step == 5);
  // A driver's write (epoch 0) lands.
  REQUIRE(fx.env.ask(fx.s.checkpointer, reply, atoms::save::value, save_frame(7, "driver"))
            .is_ok());
  CHECK(fx.newest(step) == "driver");
}

TEST_CASE("an epoch the head never issued (an earlier head's) is refused as fenced") {
  fixture fx;
  supervision::membership earlier(4241);
  auto old_epoch = earlier.admit("node-a");
  wire::frame reply;
  auto st = fx.env.ask(fx.s.checkpointer, reply, atoms::save::value,
                       with_epoch(save_frame(1, "old"), old_epoch));
  CHECK(st.code() == errc::fenced);
  CHECK(st.message().find("not issued by this head") != std::string::npos);
  uint64_t step = 0;
  CHECK(fx.newest(step).empty());
}

TEST_CASE("the registry refuses metrics of a fenced epoch and records the live one's") {
  fixture fx;
  wire::frame info;
  auto create = wire::build<schema::ExperimentCreate>([](schema::ExperimentCreate::Builder b) {
    b.setName("fenced-exp");
    b.setKind(schema::ExperimentKind::TRAIN);
    b.setFunction("f");
  });
  // Created by a node's stale epoch: refused; by the driver: made.
  CHECK(fx.env.ask(fx.s.registry, info, atoms::create::value, with_epoch(create, fx.stale))
          .code() == errc::fenced);
  REQUIRE(fx.env.ask(fx.s.registry, info, atoms::create::value, create).is_ok());
  uint64_t id = 0;
  wire::read<schema::ExperimentInfo>(info, [&](schema::ExperimentInfo::Reader r) {
    id = r.getId();
    return status::ok();
  });
  auto run0 = wire::build<schema::RunUpdate>([&](schema::RunUpdate::Builder b) {
    b.setExperimentId(id);
    b.setRun(0);
    b.setStatus(schema::RunStatus::RUNNING);
  });
  REQUIRE(fx.env.tell(fx.s.registry, atoms::run_update::value, run0).is_ok());
  auto metric = [&](uint64_t step, double v) {
    return wire::build<schema::MetricReport>([&](schema::MetricReport::Builder b) {
      b.setExperimentId(id);
      b.setRun(0);
      b.setStep(step);
      named_values m;
      m.set("loss", v);
      wire::to_wire(b.initMetrics(1), m);
    });
  };
  CHECK(fx.env.tell(fx.s.registry, atoms::metrics::value, with_epoch(metric(1, 0.5), fx.live))
          .is_ok());
  auto st = fx.env.tell(fx.s.registry, atoms::metrics::value,
                        with_epoch(metric(2, 99.0), fx.stale));
  CHECK(st.code() == errc::fenced);
  CHECK(st.where() == "registry: metrics");
  // Only the live point is stored.
  wire::frame series;
  auto q = wire::build<schema::MetricQuery>([&](schema::MetricQuery::Builder b) {
    b.setExperimentId(id);
    b.setRun(0);
    b.setKey("loss");
  });
  REQUIRE(fx.env.ask(fx.s.registry, series, atoms::metrics::value, q).is_ok());
  std::vector<double> values;
  wire::read<schema::MetricSeriesList>(series, [&](schema::MetricSeriesList::Reader r) {
    for (auto s : r.getSeries())
      for (auto p : s.getPoints())
        values.push_back(p.getValue());
    return status::ok();
  });
  REQUIRE(values.size() == 1);
  CHECK(values[0] == 0.5);
}

TEST_CASE("the log aggregator refuses a record of a fenced epoch") {
  fixture fx;
  auto record = [](const std::string& text) {
    return wire::build<schema::LogRecord>([&](schema::LogRecord::Builder b) {
      b.setExperiment("fenced-exp");
      b.setRun(0);
      b.setLevel("info");
      b.setNode("node-a");
      b.setMessage(text);
    });
  };
  CHECK(fx.env.tell(fx.s.logs, atoms::log::value, with_epoch(record("live"), fx.live)).is_ok());
  auto st = fx.env.tell(fx.s.logs, atoms::log::value, with_epoch(record("stale"), fx.stale));
  CHECK(st.code() == errc::fenced);
  wire::frame got;
  auto q = wire::build<schema::LogQuery>([](schema::LogQuery::Builder b) {
    b.setExperiment("fenced-exp");
    b.setAllRuns(true);
  });
  REQUIRE(fx.env.ask(fx.s.logs, got, atoms::log::value, q).is_ok());
  std::vector<std::string> texts;
  wire::read<schema::LogRecords>(got, [&](schema::LogRecords::Reader r) {
    for (auto x : r.getRecords())
      texts.emplace_back(x.getMessage().cStr());
    return status::ok();
  });
  REQUIRE(texts.size() == 1);
  CHECK(texts[0] == "live");
}
