// tuning::rung_pruner: ASHA rung promotion as an early stopper (Optuna's
// SuccessiveHalvingPruner with min_early_stopping_rate 0).
#include <catch2/catch.hpp>

#include <limits>

#include "tuning/rung_pruner.hpp"

using namespace lagom;
using namespace lagom::tuning;

TEST_CASE("rungs sit at resource_min times powers of the reduction factor", "[rung_pruner]") {
  rung_pruner p(3, 2);
  CHECK(p.rung_step(0) == 2);
  CHECK(p.rung_step(1) == 6);
  CHECK(p.rung_step(2) == 18);
}

TEST_CASE("at a rung, trials in the worse half of its losses stop and the better half go on",
          "[rung_pruner]") {
  rung_pruner p(2, 1);
  // Ten trials reach rung 0 (step 1), each better than all before it: all go on.
  for (uint32_t id = 0; id < 10; ++id)
    CHECK(p.on_report(id, 1, 10.0 - id) == verdict::go_on);  // losses 10 .. 1
  REQUIRE(p.recorded(0) == 10);
  // 11 losses: the best floor(11/2) = 5 are 1..5; 5.5 is not among them.
  CHECK(p.on_report(20, 1, 5.5) == verdict::stop);
  // 12 losses: the best 6 are 1..5 and 4.5.
  CHECK(p.on_report(21, 1, 4.5) == verdict::go_on);
  // 13 losses: the best 6 are 1..4, 4.5 and 5; 9 is far out.
  CHECK(p.on_report(22, 1, 9.0) == verdict::stop);
}

TEST_CASE("the first arrivals at a rung go on only as the best so far", "[rung_pruner]") {
  rung_pruner p(2, 1);
  CHECK(p.on_report(0, 1, 2.0) == verdict::go_on);
  CHECK(p.on_report(1, 1, 3.0) == verdict::stop);   // top 1 of 2 is 2.0
  CHECK(p.on_report(2, 1, 1.0) == verdict::go_on);  // top 1 of 3 is itself
}

TEST_CASE("steps between rungs are not judged", "[rung_pruner]") {
  rung_pruner p(2, 4);
  CHECK(p.on_report(0, 4, 1.0) == verdict::go_on);
  CHECK(p.on_report(1, 1, 50.0) == verdict::go_on);  // rung 0 is at step 4
  CHECK(p.on_report(1, 3, 50.0) == verdict::go_on);
  CHECK(p.on_report(1, 4, 50.0) == verdict::stop);
}

TEST_CASE("one report past several rungs is judged at each of them", "[rung_pruner]") {
  rung_pruner p(2, 1);
  CHECK(p.on_report(0, 4, 1.0) == verdict::go_on);  // completes rungs at 1, 2 and 4
  CHECK(p.recorded(0) == 1);
  CHECK(p.recorded(1) == 1);
  CHECK(p.recorded(2) == 1);
  CHECK(p.on_report(1, 1, 0.5) == verdict::go_on);
  CHECK(p.on_report(1, 2, 2.0) == verdict::stop);  // worse than 1.0 at rung 1
  CHECK(p.recorded(2) == 1);
}

TEST_CASE("a NaN loss stops the trial at its next rung", "[rung_pruner]") {
  rung_pruner p(2, 1);
  CHECK(p.on_report(0, 1, std::numeric_limits<double>::quiet_NaN()) == verdict::stop);
  CHECK(p.recorded(0) == 0);
}

TEST_CASE("a retried trial's rung losses are forgotten", "[rung_pruner]") {
  rung_pruner p(2, 1);
  CHECK(p.on_report(0, 1, 1.0) == verdict::go_on);
  p.on_retry(0);
  CHECK(p.recorded(0) == 0);
  CHECK(p.on_report(1, 1, 3.0) == verdict::go_on);  // alone at rung 0 again
}
