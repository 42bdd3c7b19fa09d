// trial_scheduler, through its messages: a malformed report gets an error
// reply (never "go on"), a well-formed one for a run it does not know gets
// "go on". The scheduler is spawned and not launched: these handlers need
// no cluster.
#include <catch2/catch.hpp>

#include <memory>

#include "actor_env.hpp"
#include "actors/trial_scheduler.hpp"
#include "schemas/cluster.capnp.h"
#include "schemas/experiment.capnp.h"
#include "wire/atoms.hpp"
#include "wire/frame.hpp"
#include "wire/read.hpp"

using namespace lagom;

namespace {

caf::actor scheduler(test::actor_env& env) {
  actors::search_job job;
  job.function = "f";
  job.opts.metric = "acc";
  return env.keep(actors::spawn_trial_scheduler(env.sys(), caf::actor{}, std::move(job),
                                                std::make_shared<actors::search_report>()));
}

} // namespace

TEST_CASE("a malformed trial report gets an error reply, not go on", "[trial_scheduler]") {
  test::actor_env env;
  auto sched = scheduler(env);
  wire::frame reply;
  SECTION("garbage bytes under TrainReport's schema id") {
    const char junk[16] = {0x7f, 0x7f, 0x7f, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    wire::frame f;
    REQUIRE(wire::frame::from_bytes(wire::schema_id<schema::TrainReport>(), junk, 16, f));
    auto st = env.ask(sched, reply, atoms::report::value, f);
    CHECK(st.code() == errc::malformed_frame);
    CHECK(st.where() == "TrainReport");
  }
  SECTION("a frame of another schema") {
    auto other = wire::build<schema::TrialHeartbeat>([](schema::TrialHeartbeat::Builder) {});
    auto st = env.ask(sched, reply, atoms::report::value, other);
    CHECK(st.code() == errc::wrong_schema);
  }
}

TEST_CASE("a well-formed report of a run the search does not know gets go on",
          "[trial_scheduler]") {
  test::actor_env env;
  auto sched = scheduler(env);
  auto f = wire::build<schema::TrainReport>([](schema::TrainReport::Builder b) {
    b.setRun(7);
    b.setStep(1);
  });
  wire::frame reply;
  REQUIRE(env.ask(sched, reply, atoms::report::value, f));
  bool stop = true;
  REQUIRE(wire::read<schema::TrainDecision>(reply, [&](schema::TrainDecision::Reader r) {
    stop = r.getStop();
    return status::ok();
  }));
  CHECK_FALSE(stop);
}
