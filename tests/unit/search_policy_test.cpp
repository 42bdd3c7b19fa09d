// tuning::search_policy: the search driver's decisions, one scenario per
// test, with real optimizers (random, grid) over a small space and time
// passed in by hand.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "tuning/search_policy.hpp"

using namespace lagom;
using namespace lagom::tuning;
using namespace std::chrono_literals;

namespace {

const search_clock::time_point t0{};

searchspace space_xy() {
  searchspace s;
  REQUIRE(s.add(dimension::real("x", 0, 1)));
  REQUIRE(s.add(dimension::categorical("y", {"a", "b"})));
  return s;
}

search_options options(const std::string& optimizer, uint32_t trials) {
  search_options o;
  o.optimizer = optimizer;
  o.num_trials = trials;
  o.metric = "acc";
  o.direction = "max";
  o.seed = 7;
  o.max_retries = 2;
  o.heartbeat_timeout = 100ms;
  return o;
}

// A policy over space_xy, begun at t0, holding `containers` containers
// (ids 100, 101, ...) whose loops have asked once.
search_policy started(const search_options& o, size_t containers) {
  search_policy p(o);
  REQUIRE(p.configure(space_xy()));
  for (size_t i = 0; i < containers; ++i) {
    size_t k = p.add_container(100 + i, "n" + std::to_string(i));
    p.loop_started(k, t0);
    p.asked(k);
  }
  p.begin(t0);
  return p;
}

named_values metric(double v) {
  named_values m;
  m.set("acc", v);
  return m;
}

status lost() { return status::error(errc::container_lost, "node n0 died"); }

run_status status_of(search_policy& p, uint32_t id) { return p.find(id)->view.status; }

} // namespace

TEST_CASE("free containers get new trials in ask order, the first of each running") {
  auto p = started(options("random", 3), 2);
  auto a = p.next(0, t0);
  auto b = p.next(1, t0);
  auto c = p.next(0, t0);  // a second ask of container 0: waits behind trial 0
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(a->trial == 0);
  CHECK(b->trial == 1);
  CHECK(c->trial == 2);
  CHECK(a->attempt == 1);
  CHECK(status_of(p, 0) == run_status::running);
  CHECK(status_of(p, 1) == run_status::running);
  CHECK(status_of(p, 2) == run_status::queued);
  CHECK_FALSE(p.next(1, t0));  // the trial budget is spent
  CHECK(p.phase() == search_phase::draining);
  // Trial 0 returns: trial 2, already in container 0, starts.
  p.returned(0, 0, 1, status::ok(), metric(0.5), 10, t0);
  CHECK(status_of(p, 0) == run_status::finished);
  CHECK(status_of(p, 2) == run_status::running);
}

TEST_CASE("a lost trial waiting in the retry queue is given before a new trial") {
  auto p = started(options("random", 10), 2);
  REQUIRE(p.next(0, t0)->trial == 0);
  REQUIRE(p.next(1, t0)->trial == 1);
  CHECK(p.lose(0, "node n0 died"));  // a replacement is to be asked for
  CHECK(status_of(p, 0) == run_status::lost);
  p.returned(1, 1, 1, status::ok(), metric(0.3), 10, t0);
  auto again = p.next(1, t0);
  REQUIRE(again);
  CHECK(again->trial == 0);
  CHECK(again->attempt == 2);
  CHECK(p.next(1, t0)->trial == 2);  // then the optimizer's next
}

TEST_CASE("a trial lost more than max_retries times fails") {
  auto o = options("random", 1);
  o.max_retries = 1;
  auto p = started(o, 1);
  REQUIRE(p.next(0, t0)->attempt == 1);
  p.returned(0, 0, 1, lost(), {}, 0, t0);  // attempt 1 lost: retried
  CHECK(status_of(p, 0) == run_status::lost);
  size_t k = p.add_container(200, "n9");
  p.replacement_arrived();
  p.loop_started(k, t0);
  p.asked(k);
  auto second = p.next(k, t0);
  REQUIRE(second);
  CHECK(second->attempt == 2);
  p.returned(k, 0, 2, lost(), {}, 0, t0);  // attempt 2 lost: beyond max_retries
  CHECK(status_of(p, 0) == run_status::failed);
  CHECK(p.find(0)->view.error.find("lost 2 times") == 0);
  CHECK(p.table().retried() == 1);
}

TEST_CASE("a trial waiting ahead in a lost container goes back first and spends no retry") {
  auto o = options("random", 5);
  o.max_retries = 1;
  auto p = started(o, 1);
  REQUIRE(p.next(0, t0)->trial == 0);
  REQUIRE(p.next(0, t0)->trial == 1);  // lookahead: waits in container 0
  p.lose(0, "node n0 died");
  CHECK(status_of(p, 0) == run_status::lost);
  CHECK(status_of(p, 1) == run_status::queued);
  CHECK(p.find(1)->view.attempts == 0);
  size_t k = p.add_container(200, "n9");
  p.replacement_arrived();
  p.asked(k);
  auto first = p.next(k, t0);
  REQUIRE(first);
  CHECK(first->trial == 1);
  // A new number: its loop may have started attempt 1 unseen before it died
  // (the trace of the chaos test would show attempt 1 twice), but no retry
  // is spent on it.
  CHECK(first->attempt == 2);
  CHECK(p.next(k, t0)->trial == 0);
  p.lose(k, "node n9 died");  // attempt 2 of trial 1, started: its first loss
  CHECK(status_of(p, 1) == run_status::lost);  // retried (max_retries 1), not failed
}

TEST_CASE("a trial silent for heartbeat_timeout is lost as a straggler and its late answer ignored") {
  auto p = started(options("random", 5), 1);
  REQUIRE(p.next(0, t0)->trial == 0);
  CHECK(p.tick(t0 + 80ms).empty());
  p.heartbeat(0, 1, t0 + 80ms);
  CHECK(p.tick(t0 + 150ms).empty());  // 70 ms since the beat
  auto lost_slots = p.tick(t0 + 200ms);
  REQUIRE(lost_slots.size() == 1);
  CHECK(lost_slots[0].slot == 0);
  CHECK(lost_slots[0].why.find("straggler") == 0);
  CHECK(status_of(p, 0) == run_status::lost);
  p.returned(0, 0, 1, status::ok(), metric(0.9), 10, t0 + 300ms);  // too late
  CHECK(status_of(p, 0) == run_status::lost);
  CHECK_FALSE(p.slot_of(100));
}

TEST_CASE("a loop still starting gets loop_start_grace, not the short heartbeat timeout") {
  auto o = options("random", 5);
  o.heartbeat_timeout = 100ms;
  search_policy p(o);
  REQUIRE(p.configure(space_xy()));
  size_t a = p.add_container(100, "n0"), b = p.add_container(101, "n1");
  p.loop_started(a, t0);
  p.loop_started(b, t0);
  p.asked(a);  // b's worker process is still starting
  p.begin(t0);
  REQUIRE(p.next(a, t0)->trial == 0);
  p.heartbeat(0, 1, t0 + 5s);
  CHECK(p.tick(t0 + 5s).empty());  // 5 s silent while starting: kept
  auto lost = p.tick(t0 + search_policy::loop_start_grace + 1ms);
  REQUIRE(lost.size() == 2);  // the trial silent past 100 ms, the loop past the grace
  CHECK(lost[0].why.find("straggler: no heartbeat for 100 ms") == 0);
  CHECK(lost[1].why == "trial loop did not start (no heartbeat for 10000 ms)");
}

TEST_CASE("an exhausted optimizer with nothing running ends the search") {
  auto o = options("grid", 0);
  search_policy p(o);
  searchspace s;
  REQUIRE(s.add(dimension::categorical("y", {"a", "b"})));
  REQUIRE(p.configure(s));
  p.loop_started(p.add_container(100, "n0"), t0);
  p.asked(0);
  p.begin(t0);
  REQUIRE(p.next(0, t0)->trial == 0);
  REQUIRE(p.next(0, t0)->trial == 1);
  status overall;
  CHECK_FALSE(p.over(t0, overall));  // trials run
  p.returned(0, 0, 1, status::ok(), metric(0.1), 1, t0);
  p.returned(0, 1, 1, status::ok(), metric(0.2), 1, t0);
  CHECK_FALSE(p.next(0, t0));
  CHECK(p.phase() == search_phase::draining);
  CHECK(p.over(t0, overall));
  CHECK(overall);
  p.end();
  CHECK(p.phase() == search_phase::ending);
  CHECK_FALSE(p.next(0, t0));
  CHECK(p.table().finished() == 2);
}

TEST_CASE("past the time budget nothing starts, running trials are told to stop, retries fail") {
  auto o = options("random", 0);
  o.time_budget = 1s;
  auto p = started(o, 2);
  CHECK(p.lookahead() == 0);  // a time budget: no asking ahead
  REQUIRE(p.next(0, t0)->trial == 0);
  REQUIRE(p.next(1, t0)->trial == 1);
  p.lose(1, "node n1 died");  // trial 1 waits for a retry
  auto before = p.report(0, 1, metric(0.4), t0 + 500ms);
  CHECK_FALSE(before.stop);
  auto after = p.report(0, 2, metric(0.6), t0 + 1s);
  CHECK(after.stop);
  CHECK(after.why == "time budget spent");
  CHECK_FALSE(p.next(0, t0 + 1s));
  p.returned(0, 0, 1, status::ok(), {}, 1000, t0 + 1s);
  CHECK(status_of(p, 0) == run_status::stopped_early);
  CHECK(p.find(0)->view.value == Approx(0.6));
  status overall;
  CHECK(p.over(t0 + 1s, overall));
  CHECK(status_of(p, 1) == run_status::failed);
  CHECK(p.find(1)->view.error.find("not retried") != std::string::npos);
}

TEST_CASE("each change is handed over once, a start with its container") {
  auto p = started(options("random", 1), 1);
  p.next(0, t0);
  auto changes = p.take_changes();
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].trial == 0);
  CHECK(changes[0].status == run_status::queued);  // created: as it was then
  CHECK_FALSE(changes[0].notify);
  CHECK(changes[1].status == run_status::running);
  CHECK(changes[1].container == 100);
  CHECK(changes[1].kind == search_progress::trial_started);
  CHECK(p.take_changes().empty());
}
