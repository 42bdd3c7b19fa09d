// trainer_worker: asynchronous reports (and waiting for their answers), and a
// trial loop's asks and inbox, with a real actor system and an owner actor
// playing the driver's side.
#include <catch2/catch.hpp>

#include <thread>

#include "actor_env.hpp"
#include "actors/trainer_worker.hpp"
#include "schemas/cluster.capnp.h"
#include "schemas/experiment.capnp.h"
#include "wire/atoms.hpp"
#include "wire/read.hpp"

using namespace lagom;
using namespace lagom::actors;

namespace {

// Answers a report with stop at step `stop_at` only, counting reports; a
// trial loop's ask after trial r with trial r + 1 while r < last, then none.
caf::behavior owner(caf::event_based_actor*, uint64_t stop_at, uint32_t last,
                    std::shared_ptr<std::atomic<int>> reports) {
  return {
    [=](atoms::report, const wire::frame& f) {
      uint64_t step = 0;
      wire::read<schema::TrainReport>(f, [&](schema::TrainReport::Reader r) {
        step = r.getStep();
        return status::ok();
      });
      ++*reports;
      return wire::build<schema::TrainDecision>([&](schema::TrainDecision::Builder b) {
        b.setStop(step == stop_at);
      });
    },
    [=](atoms::next, uint64_t, uint32_t run, uint32_t, const wire::frame&) {
      if (run >= last)
        return wire::frame{};
      return wire::build<schema::FunctionLaunch>([&](schema::FunctionLaunch::Builder b) {
        b.setFunction("f");
        b.setRun(run + 1);
        b.setAttempt(1);
      });
    },
  };
}

uint32_t run_of(const wire::frame& f) {
  uint32_t run = 0;
  wire::read<schema::FunctionLaunch>(f, [&](schema::FunctionLaunch::Reader r) {
    run = r.getRun();
    return status::ok();
  });
  return run;
}

struct fixture {
  test::actor_env env;
  std::shared_ptr<std::atomic<int>> reports = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<bool>> stop = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<trial_signals> signals = std::make_shared<trial_signals>();
  run_identity id{"e", 1, 7, 1};
  caf::actor driver;
  caf::actor trainer;

  explicit fixture(uint64_t stop_at, uint32_t last = 0) {
    driver = env.keep(env.sys().spawn(owner, stop_at, last, reports));
    signals->start(id);
    trainer_links links;
    links.owner = driver;
    trainer = env.keep(spawn_trainer_worker(env.sys(), id, "node-1", links, stop, signals));
  }
};

named_values loss(double v) {
  named_values m;
  m.set("loss", v);
  return m;
}

} // namespace

TEST_CASE("a report does not wait for the driver, its stop is seen at a later one",
          "[trainer_worker]") {
  fixture fx(3);
  auto services = make_train_services(fx.env.sys(), fx.trainer, fx.id, "node-1", "", fx.signals);
  train_context ctx({}, {}, fx.stop, fx.id, services.get());
  CHECK(ctx.report(1, loss(1)) == decision::go_on);
  CHECK(ctx.report(2, loss(1)) == decision::go_on);
  CHECK(ctx.report(3, loss(1)) == decision::go_on);  // answered stop, later
  // A full window makes the next report wait for its own answer (go_on),
  // which comes after the earlier ones: step 3's stop has arrived by then.
  fx.signals->reports_in_flight += report_window;
  CHECK(ctx.report(4, loss(1)) == decision::stop);
  CHECK(ctx.stop_requested());
  CHECK(*fx.reports == 4);
  CHECK(fx.signals->reports_in_flight == report_window);  // the three were answered
  // The next trial of a loop starts without the last one's stop.
  fx.signals->start({"e", 1, 8, 1});
  CHECK_FALSE(fx.signals->stop_decided);
}

TEST_CASE("await_reports returns once the driver answered every report sent without waiting",
          "[trainer_worker]") {
  fixture fx(0);
  auto services = make_train_services(fx.env.sys(), fx.trainer, fx.id, "node-1", "", fx.signals);
  train_context ctx({}, {}, fx.stop, fx.id, services.get());
  for (uint64_t step = 1; step <= 5; ++step)
    CHECK(ctx.report(step, loss(1)) == decision::go_on);
  REQUIRE(fx.signals->await_reports(std::chrono::seconds(10)));
  CHECK(*fx.reports == 5);  // the driver saw all five before the wait ended
  CHECK(fx.signals->reports_in_flight == 0);
}

TEST_CASE("a trial loop's asks bring its trials in order, then the end", "[trainer_worker]") {
  fixture fx(0, 3);
  caf::anon_send(fx.trainer, atoms::next::value, uint64_t{5}, 0u, 0u, wire::frame{});
  wire::frame next;
  std::vector<uint32_t> runs;
  while (fx.signals->inbox.take(next, *fx.stop)) {
    runs.push_back(run_of(next));
    caf::anon_send(fx.trainer, atoms::next::value, uint64_t{5}, runs.back(), 1u, wire::frame{});
  }
  CHECK(runs == std::vector<uint32_t>{1, 2, 3});
  CHECK(fx.signals->inbox.closed_because().is_ok());
}

TEST_CASE("a trial loop whose driver is gone ends with that error", "[trainer_worker]") {
  fixture fx(0, 3);
  caf::anon_send_exit(fx.driver, caf::exit_reason::user_shutdown);
  wire::frame next;
  CHECK_FALSE(fx.signals->inbox.take(next, *fx.stop));
  auto why = fx.signals->inbox.closed_because();
  CHECK(why.code() == errc::unavailable);
  CHECK(why.to_string().find("the driver is gone") != std::string::npos);
}

TEST_CASE("the inbox gives what was put before its close, and nothing once stopped",
          "[trainer_worker]") {
  trial_inbox box;
  std::atomic<bool> stop{false};
  wire::frame out;
  // A taker waiting on an empty inbox wakes when a trial is put.
  std::thread putter([&] {
    box.put(wire::build<schema::FunctionLaunch>(
      [](schema::FunctionLaunch::Builder b) { b.setRun(9); }));
  });
  REQUIRE(box.take(out, stop));
  putter.join();
  CHECK(run_of(out) == 9);
  box.put(wire::build<schema::FunctionLaunch>(
    [](schema::FunctionLaunch::Builder b) { b.setRun(10); }));
  box.close(status::error(errc::unavailable, "gone", "test"));
  box.close(status::ok());  // the first reason stays
  REQUIRE(box.take(out, stop));
  CHECK(run_of(out) == 10);
  CHECK_FALSE(box.take(out, stop));
  CHECK(box.closed_because().code() == errc::unavailable);

  trial_inbox stopped;
  stopped.put(wire::frame{});
  stop = true;
  CHECK_FALSE(stopped.take(out, stop));
}
