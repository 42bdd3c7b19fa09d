// supervision::restart_policy on a fake time line: window, give-up, backoff,
// reset after quiet, and which children one_for_one / one_for_all restart.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "supervision/restart_policy.hpp"

using namespace lagom::supervision;
using std::chrono::milliseconds;

namespace {

const clock::time_point t0{}; // the fake time line starts here

clock::time_point at(long ms) { return t0 + milliseconds{ms}; }

restart_options opts(uint32_t max, long window_ms) {
  restart_options o;
  o.max_restarts = max;
  o.window = millis{window_ms};
  o.backoff_initial = millis{10};
  o.backoff_multiplier = 2.0;
  o.backoff_max = millis{1000};
  return o;
}

const std::vector<std::string> kids{"a", "b", "c"};

} // namespace

TEST_CASE("one_for_one restarts only the failed child", "[supervision]") {
  restart_policy p{opts(3, 1000)};
  auto d = p.on_failure("b", kids, at(0));
  CHECK(d.restart);
  CHECK(d.children == std::vector<std::string>{"b"});
  CHECK(d.delay == millis{10});
  CHECK_FALSE(d.reason.empty());
  CHECK(p.restarts_in_window(at(0)) == 1);
}

TEST_CASE("one_for_all restarts every sibling in start order, the failed one included",
          "[supervision]") {
  auto o = opts(3, 1000);
  o.strat = strategy::one_for_all;
  restart_policy p{o};
  auto d = p.on_failure("b", kids, at(0));
  CHECK(d.restart);
  CHECK(d.children == kids);
  // A group restart counts once.
  CHECK(p.restarts_in_window(at(0)) == 1);
}

TEST_CASE("the failure past max_restarts within the window gives up", "[supervision]") {
  restart_policy p{opts(3, 1000)};
  for (long t : {0, 100, 200})
    REQUIRE(p.on_failure("a", kids, at(t)).restart);
  auto d = p.on_failure("a", kids, at(300));
  CHECK_FALSE(d.restart);
  CHECK(d.children.empty());
  CHECK(d.reason.find("giving up") != std::string::npos);
  CHECK(d.reason.find("a ") == 0);
  // A refused failure is not recorded as a restart.
  CHECK(p.restarts_in_window(at(300)) == 3);
}

TEST_CASE("max_restarts of zero gives up at the first failure", "[supervision]") {
  restart_policy p{opts(0, 1000)};
  CHECK_FALSE(p.on_failure("a", kids, at(0)).restart);
}

TEST_CASE("the window slides: restarts older than it stop counting", "[supervision]") {
  restart_policy p{opts(3, 1000)};
  REQUIRE(p.on_failure("a", kids, at(0)).restart);
  REQUIRE(p.on_failure("a", kids, at(400)).restart);
  REQUIRE(p.on_failure("a", kids, at(800)).restart);
  CHECK(p.restarts_in_window(at(999)) == 3);
  // At 1000 the restart at 0 has left the window: one more is allowed.
  CHECK(p.restarts_in_window(at(1000)) == 2);
  REQUIRE(p.on_failure("a", kids, at(1000)).restart);
  // 400, 800, 1000 are still inside at 1300: the next one gives up.
  CHECK_FALSE(p.on_failure("a", kids, at(1300)).restart);
  // At 1400 the restart at 400 has left: allowed again.
  CHECK(p.on_failure("a", kids, at(1400)).restart);
}

TEST_CASE("backoff grows by the multiplier and is capped", "[supervision]") {
  auto o = opts(20, 100000);
  o.backoff_max = millis{100};
  restart_policy p{o};
  std::vector<long> got;
  for (int i = 0; i < 6; ++i)
    got.push_back(p.on_failure("a", kids, at(i)).delay.count());
  CHECK(got == std::vector<long>{10, 20, 40, 80, 100, 100});
}

TEST_CASE("a huge multiplier is capped, not overflowed", "[supervision]") {
  auto o = opts(100, 100000);
  o.backoff_multiplier = 1e300;
  restart_policy p{o};
  p.on_failure("a", kids, at(0));
  for (int i = 1; i < 5; ++i)
    CHECK(p.on_failure("a", kids, at(i)).delay == o.backoff_max);
}

TEST_CASE("after a quiet window the backoff starts again from backoff_initial",
          "[supervision]") {
  restart_policy p{opts(5, 1000)};
  CHECK(p.on_failure("a", kids, at(0)).delay == millis{10});
  CHECK(p.on_failure("a", kids, at(10)).delay == millis{20});
  CHECK(p.on_failure("a", kids, at(20)).delay == millis{40});
  // Quiet from 20 to 1020: nothing left in the window.
  CHECK(p.restarts_in_window(at(1020)) == 0);
  auto d = p.on_failure("a", kids, at(1020));
  CHECK(d.restart);
  CHECK(d.delay == millis{10});
}

TEST_CASE("restarts of different children share one window", "[supervision]") {
  restart_policy p{opts(2, 1000)};
  REQUIRE(p.on_failure("a", kids, at(0)).restart);
  REQUIRE(p.on_failure("b", kids, at(1)).restart);
  auto d = p.on_failure("c", kids, at(2));
  CHECK_FALSE(d.restart);
  CHECK(d.reason.find("c ") == 0);
}
