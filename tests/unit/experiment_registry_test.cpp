// actors::experiment_registry through its messages on a real actor system and
// a real LMDB in a temporary directory: create, duplicate and resume; runs
// created and moved through their statuses; metrics recorded and queried;
// the end of an experiment; malformed frames and bad fields refused by name;
// the registry read back after a reopen.
#include <catch2/catch.hpp>

#include <fstream>
#include <memory>

#include "actor_env.hpp"
#include "actors/experiment_registry.hpp"
#include "schemas/experiment.capnp.h"
#include "temp_dir.hpp"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/read.hpp"

using namespace lagom;

namespace {

struct fixture {
  test::temp_dir data{"lagom-registry"};
  std::unique_ptr<test::actor_env> env;
  caf::actor registry;

  fixture() { open(); }

  void open() {
    env = std::make_unique<test::actor_env>();
    auto st = actors::spawn_experiment_registry(env->sys(), data.path(), registry);
    INFO(st.to_string());
    REQUIRE(st.is_ok());
    env->keep(registry);
  }

  // Stops the actor system (closing LMDB) and opens the registry again.
  void reopen() {
    env.reset();
    open();
  }

  status create(const std::string& name, bool resume = false,
                schema::ExperimentKind kind = schema::ExperimentKind::SEARCH,
                const std::string& function = "mnist", uint64_t* id = nullptr) {
    auto f = wire::build<schema::ExperimentCreate>([&](schema::ExperimentCreate::Builder b) {
      b.setName(name);
      b.setKind(kind);
      b.setFunction(function);
      named_values hp;
      hp.set("epochs", 3.0);
      hp.set("optimizer", std::string("adam"));
      wire::to_wire(b.initHyperparameters(2), hp);
      b.setMetric("accuracy");
      b.setDirection(schema::Direction::MAX);
      b.setResume(resume);
    });
    wire::frame reply;
    auto st = env->ask(registry, reply, atoms::create::value, f);
    if (st && id != nullptr)
      st = wire::read<schema::ExperimentInfo>(reply, [&](schema::ExperimentInfo::Reader r) {
        *id = r.getId();
        return status::ok();
      });
    return st;
  }

  status update(uint64_t id, uint32_t run, schema::RunStatus s, const std::string& node = "",
                const std::string& error = "", const named_values& final_metrics = {},
                const named_values& hp = {}) {
    auto f = wire::build<schema::RunUpdate>([&](schema::RunUpdate::Builder b) {
      b.setExperimentId(id);
      b.setRun(run);
      b.setStatus(s);
      wire::to_wire(b.initHyperparameters(static_cast<unsigned>(hp.size())), hp);
      b.setNode(node);
      b.setContainer(node.empty() ? 0 : 42);
      b.setError(error);
      wire::to_wire(b.initFinalMetrics(static_cast<unsigned>(final_metrics.size())),
                    final_metrics);
    });
    return env->tell(registry, atoms::run_update::value, f);
  }

  status report(uint64_t id, uint32_t run, uint64_t step, const named_values& m) {
    auto f = wire::build<schema::MetricReport>([&](schema::MetricReport::Builder b) {
      b.setExperimentId(id);
      b.setRun(run);
      b.setStep(step);
      wire::to_wire(b.initMetrics(static_cast<unsigned>(m.size())), m);
    });
    return env->tell(registry, atoms::metrics::value, f);
  }

  // ExperimentQuery with runs; calls fn(ExperimentInfo::Reader).
  template <class F>
  status query(const std::string& name, F&& fn) {
    auto f = wire::build<schema::ExperimentQuery>([&](schema::ExperimentQuery::Builder b) {
      b.setName(name);
      b.setWithRuns(true);
    });
    wire::frame reply;
    auto st = env->ask(registry, reply, atoms::query::value, f);
    return st ? wire::read<schema::ExperimentInfo>(reply, [&](schema::ExperimentInfo::Reader r) {
      fn(r);
      return status::ok();
    })
              : st;
  }
};

named_values one(const std::string& k, double v) {
  named_values out;
  out.set(k, v);
  return out;
}

} // namespace

TEST_CASE("create answers the experiment, a taken name is refused unless resumed",
          "[registry]") {
  fixture fx;
  uint64_t id = 0, again = 0;
  REQUIRE(fx.create("mnist-search", false, schema::ExperimentKind::SEARCH, "mnist", &id).is_ok());
  CHECK(id == 1);
  auto dup = fx.create("mnist-search");
  CHECK(dup.code() == errc::invalid_argument);
  CHECK(dup.where() == "mnist-search");
  REQUIRE(fx.create("mnist-search", true, schema::ExperimentKind::SEARCH, "mnist", &again)
            .is_ok());
  CHECK(again == id);
  auto other_fn = fx.create("mnist-search", true, schema::ExperimentKind::SEARCH, "mlp");
  CHECK(other_fn.code() == errc::invalid_argument);
  CHECK(other_fn.message().find("cannot resume") != std::string::npos);
  REQUIRE(fx.query("mnist-search", [](schema::ExperimentInfo::Reader r) {
    CHECK(std::string(r.getName().cStr()) == "mnist-search");
    CHECK(r.getKind() == schema::ExperimentKind::SEARCH);
    CHECK(std::string(r.getStatus().cStr()) == "running");
    CHECK(std::string(r.getFunction().cStr()) == "mnist");
    CHECK(std::string(r.getMetric().cStr()) == "accuracy");
    auto hp = wire::from_wire(r.getHyperparameters());
    CHECK(hp.number("epochs", 0) == 3);
    CHECK(hp.text("optimizer", "") == "adam");
    CHECK(r.getCreatedMs() > 0);
  }).is_ok());
}

TEST_CASE("a run is created queued and moves through its statuses", "[registry]") {
  fixture fx;
  uint64_t id = 0;
  REQUIRE(fx.create("s", false, schema::ExperimentKind::SEARCH, "mnist", &id).is_ok());
  REQUIRE(fx.update(id, 1, schema::RunStatus::QUEUED, "", "", {}, one("lr", 0.01)).is_ok());
  REQUIRE(fx.update(id, 1, schema::RunStatus::RUNNING, "node-2").is_ok());
  REQUIRE(fx.update(id, 1, schema::RunStatus::LOST, "", "node 'node-2' lost").is_ok());
  REQUIRE(fx.update(id, 1, schema::RunStatus::RUNNING, "node-3").is_ok());
  REQUIRE(fx.update(id, 1, schema::RunStatus::FINISHED, "", "", one("accuracy", 0.91)).is_ok());
  // A run may be created straight into running (one attempt).
  REQUIRE(fx.update(id, 2, schema::RunStatus::RUNNING, "node-1", "", {}, one("lr", 0.1))
            .is_ok());
  REQUIRE(fx.query("s", [](schema::ExperimentInfo::Reader r) {
    REQUIRE(r.getRuns().size() == 2);
    auto a = r.getRuns()[0];
    CHECK(a.getRun() == 1);
    CHECK(a.getStatus() == schema::RunStatus::FINISHED);
    CHECK(a.getAttempts() == 2);
    CHECK(std::string(a.getNode().cStr()) == "node-3");   // the last node it ran on
    CHECK(std::string(a.getError().cStr()) == "node 'node-2' lost");  // kept
    CHECK(a.getContainer() == 42);
    CHECK(a.getStartMs() > 0);
    CHECK(a.getEndMs() >= a.getStartMs());
    CHECK(wire::from_wire(a.getHyperparameters()).number("lr", 0) == 0.01);
    CHECK(wire::from_wire(a.getFinalMetrics()).number("accuracy", 0) == 0.91);
    auto b = r.getRuns()[1];
    CHECK(b.getStatus() == schema::RunStatus::RUNNING);
    CHECK(b.getAttempts() == 1);
    CHECK(wire::from_wire(b.getHyperparameters()).number("lr", 0) == 0.1);
  }).is_ok());
  SECTION("a finished run never changes status again") {
    auto st = fx.update(id, 1, schema::RunStatus::FAILED, "", "late");
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.where() == "s/1");
  }
  SECTION("a run of an unknown experiment is not_found naming it") {
    auto st = fx.update(99, 1, schema::RunStatus::QUEUED);
    CHECK(st.code() == errc::not_found);
    CHECK(st.where() == "experiment id 99");
  }
  SECTION("a bad node name is refused and nothing is stored") {
    auto st = fx.update(id, 3, schema::RunStatus::RUNNING, std::string("bad\nnode"));
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.where() == "node");
    REQUIRE(fx.query("s", [](schema::ExperimentInfo::Reader r) {
      CHECK(r.getRuns().size() == 2);
    }).is_ok());
  }
}

TEST_CASE("metrics are recorded by step and read back by key or all keys", "[registry]") {
  fixture fx;
  uint64_t id = 0;
  REQUIRE(fx.create("m", false, schema::ExperimentKind::TRAIN, "mnist", &id).is_ok());
  REQUIRE(fx.update(id, 0, schema::RunStatus::RUNNING, "node-1").is_ok());
  for (uint64_t step = 1; step <= 3; ++step) {
    named_values m;
    m.set("loss", 1.0 / double(step));
    m.set("accuracy", 0.5 + 0.1 * double(step));
    REQUIRE(fx.report(id, 0, step, m).is_ok());
  }
  auto ask_series = [&](const std::string& key, wire::frame& reply) {
    auto f = wire::build<schema::MetricQuery>([&](schema::MetricQuery::Builder b) {
      b.setExperimentId(id);
      b.setRun(0);
      b.setKey(key);
    });
    return fx.env->ask(fx.registry, reply, atoms::metrics::value, f);
  };
  wire::frame reply;
  REQUIRE(ask_series("loss", reply).is_ok());
  REQUIRE(wire::read<schema::MetricSeriesList>(reply, [](schema::MetricSeriesList::Reader r) {
    REQUIRE(r.getSeries().size() == 1);
    auto points = r.getSeries()[0].getPoints();
    REQUIRE(points.size() == 3);
    CHECK(points[0].getStep() == 1);
    CHECK(points[2].getValue() == Approx(1.0 / 3));
    CHECK(points[2].getWallMs() > 0);
    return status::ok();
  }).is_ok());
  REQUIRE(ask_series("", reply).is_ok());
  REQUIRE(wire::read<schema::MetricSeriesList>(reply, [](schema::MetricSeriesList::Reader r) {
    REQUIRE(r.getSeries().size() == 2);
    CHECK(std::string(r.getSeries()[0].getKey().cStr()) == "accuracy");
    CHECK(std::string(r.getSeries()[1].getKey().cStr()) == "loss");
    return status::ok();
  }).is_ok());
  named_values text;
  text.set("note", std::string("high"));
  auto bad = fx.report(id, 0, 4, text);
  CHECK(bad.code() == errc::invalid_argument);
  CHECK(bad.where() == "metrics.note");
  auto unknown_run = fx.report(id, 7, 1, one("loss", 1));
  CHECK(unknown_run.code() == errc::not_found);
  CHECK(unknown_run.where() == "m/7");
}

TEST_CASE("the end of an experiment sets its status, list answers every one", "[registry]") {
  fixture fx;
  uint64_t a = 0, b = 0;
  REQUIRE(fx.create("a", false, schema::ExperimentKind::TRAIN, "mnist", &a).is_ok());
  REQUIRE(fx.create("b", false, schema::ExperimentKind::SEARCH, "mnist", &b).is_ok());
  auto end = [&](uint64_t id, const std::string& s) {
    return fx.env->tell(fx.registry, atoms::exp_end::value,
                        wire::build<schema::ExperimentEnd>([&](schema::ExperimentEnd::Builder x) {
                          x.setExperimentId(id);
                          x.setStatus(s);
                        }));
  };
  REQUIRE(end(a, "finished").is_ok());
  auto bad = end(b, "done");
  CHECK(bad.code() == errc::invalid_argument);
  CHECK(bad.where() == "status");
  wire::frame reply;
  auto req = wire::build<schema::ExperimentList>([](schema::ExperimentList::Builder) {});
  REQUIRE(fx.env->ask(fx.registry, reply, atoms::list::value, req).is_ok());
  REQUIRE(wire::read<schema::ExperimentListing>(reply, [](schema::ExperimentListing::Reader r) {
    REQUIRE(r.getExperiments().size() == 2);
    CHECK(std::string(r.getExperiments()[0].getName().cStr()) == "a");
    CHECK(std::string(r.getExperiments()[0].getStatus().cStr()) == "finished");
    CHECK(std::string(r.getExperiments()[1].getStatus().cStr()) == "running");
    return status::ok();
  }).is_ok());
}

TEST_CASE("malformed frames and bad fields are refused naming the problem", "[registry]") {
  fixture fx;
  wire::frame reply;
  SECTION("an empty frame") {
    auto st = fx.env->ask(fx.registry, reply, atoms::create::value, wire::frame{});
    CHECK(st.code() == errc::malformed_frame);
    CHECK(st.where() == "ExperimentCreate");
  }
  SECTION("a frame of another schema") {
    auto q = wire::build<schema::ExperimentQuery>([](schema::ExperimentQuery::Builder) {});
    auto st = fx.env->ask(fx.registry, reply, atoms::create::value, q);
    CHECK(st.code() == errc::wrong_schema);
    CHECK(st.where() == "ExperimentCreate");
    auto m = fx.env->ask(fx.registry, reply, atoms::metrics::value, q);
    CHECK(m.code() == errc::wrong_schema);
    CHECK(m.message().find("MetricReport or MetricQuery") != std::string::npos);
  }
  SECTION("garbage bytes under the right schema id") {
    const char junk[16] = {0x7f, 0x7f, 0x7f, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    wire::frame f;
    REQUIRE(wire::frame::from_bytes(wire::schema_id<schema::ExperimentCreate>(), junk, 16, f));
    auto st = fx.env->ask(fx.registry, reply, atoms::create::value, f);
    CHECK(st.code() == errc::malformed_frame);
    CHECK(st.where() == "ExperimentCreate");
  }
  SECTION("an enum number the schema does not know") {
    auto st = fx.create("x", false, static_cast<schema::ExperimentKind>(9));
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.where() == "kind");
    CHECK(st.message().find("unknown value 9") != std::string::npos);
  }
  SECTION("a name that is not path-safe") {
    auto st = fx.create("../etc");
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.where() == "name");
  }
  SECTION("an unknown experiment") {
    auto st = fx.query("nope", [](schema::ExperimentInfo::Reader) {});
    CHECK(st.code() == errc::not_found);
    CHECK(st.where() == "nope");
  }
  // Nothing of the above was stored, and the actor is still alive.
  auto req = wire::build<schema::ExperimentList>([](schema::ExperimentList::Builder) {});
  REQUIRE(fx.env->ask(fx.registry, reply, atoms::list::value, req).is_ok());
  REQUIRE(wire::read<schema::ExperimentListing>(reply, [](schema::ExperimentListing::Reader r) {
    CHECK(r.getExperiments().size() == 0);
    return status::ok();
  }).is_ok());
}

TEST_CASE("the registry survives a reopen", "[registry]") {
  fixture fx;
  uint64_t id = 0;
  REQUIRE(fx.create("kept", false, schema::ExperimentKind::SEARCH, "mnist", &id).is_ok());
  REQUIRE(fx.update(id, 5, schema::RunStatus::RUNNING, "node-1").is_ok());
  REQUIRE(fx.report(id, 5, 10, one("loss", 0.25)).is_ok());
  fx.reopen();
  REQUIRE(fx.query("kept", [&](schema::ExperimentInfo::Reader r) {
    CHECK(r.getId() == id);
    REQUIRE(r.getRuns().size() == 1);
    CHECK(r.getRuns()[0].getRun() == 5);
    CHECK(r.getRuns()[0].getStatus() == schema::RunStatus::RUNNING);
  }).is_ok());
  uint64_t next = 0;
  REQUIRE(fx.create("next", false, schema::ExperimentKind::TRAIN, "mnist", &next).is_ok());
  CHECK(next == id + 1);
}

TEST_CASE("a data directory that cannot hold a registry is an error naming the path",
          "[registry]") {
  test::temp_dir data{"lagom-registry"};
  std::ofstream(data / "file") << "not a directory";
  test::actor_env env;
  caf::actor registry;
  auto st = actors::spawn_experiment_registry(env.sys(), data / "file", registry);
  CHECK_FALSE(st.is_ok());
  CHECK(st.to_string().find(data / "file") != std::string::npos);
  CHECK_FALSE(registry);
}
