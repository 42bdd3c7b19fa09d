// tuning::median_rule: Maggy's median stopping rule.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "tuning/median_rule.hpp"

using namespace lagom;
using namespace lagom::tuning;

namespace {

// Trial `id` reports `losses` at steps 1, 2, ... and ends finished.
void finished_trial(median_rule& r, uint32_t id, const std::vector<double>& losses) {
  uint64_t step = 1;
  for (double l : losses)
    r.on_report(id, step++, l);
  r.on_end(id, outcome::finished);
}

// Three finished trials with flat curves at 1, 2 and 3: median 2 at every step.
void three_finished(median_rule& r) {
  finished_trial(r, 0, std::vector<double>(20, 1.0));
  finished_trial(r, 1, std::vector<double>(20, 2.0));
  finished_trial(r, 2, std::vector<double>(20, 3.0));
}

} // namespace

TEST_CASE("a clearly bad trial is not stopped until min_trials trials have finished",
          "[median_rule]") {
  median_rule r(3, 1, 0);
  finished_trial(r, 0, std::vector<double>(20, 1.0));
  finished_trial(r, 1, std::vector<double>(20, 2.0));
  for (uint64_t s = 1; s <= 5; ++s)
    CHECK(r.on_report(9, s, 100.0) == verdict::go_on);
  finished_trial(r, 2, std::vector<double>(20, 3.0));
  CHECK(r.on_report(9, 6, 100.0) == verdict::stop);
}

TEST_CASE("the rule acts only at steps at or past warmup that are multiples of interval",
          "[median_rule]") {
  median_rule r(3, 3, 5);
  three_finished(r);
  for (uint64_t s = 1; s <= 5; ++s)  // 1..4 before warmup, 5 not a multiple of 3
    CHECK(r.on_report(9, s, 100.0) == verdict::go_on);
  CHECK(r.on_report(9, 6, 100.0) == verdict::stop);
  // Past warmup but between multiples of the interval.
  CHECK(r.on_report(10, 7, 100.0) == verdict::go_on);
  CHECK(r.on_report(10, 8, 100.0) == verdict::go_on);
  CHECK(r.on_report(10, 9, 100.0) == verdict::stop);
}

TEST_CASE("the best trial, and one equal to the median, are never stopped", "[median_rule]") {
  median_rule r(3, 1, 0);
  three_finished(r);
  for (uint64_t s = 1; s <= 20; ++s) {
    CHECK(r.on_report(9, s, 0.5) == verdict::go_on);
    CHECK(r.on_report(10, s, 2.0) == verdict::go_on);
  }
}

TEST_CASE("the median is over running averages of the finished trials that reached the step",
          "[median_rule]") {
  median_rule r(3, 1, 0);
  finished_trial(r, 0, {8, 6, 4, 2});  // averages: step 2 -> 7, step 4 -> 5
  finished_trial(r, 1, {4, 4, 4, 4});
  finished_trial(r, 2, {9, 9, 9, 9});
  finished_trial(r, 3, {0, 0});  // ended at step 2: not part of step 4's median
  CHECK(r.median_at(2) == Approx(5.5));  // 0, 4, 7, 9
  CHECK(r.median_at(4) == Approx(5.0));  // 4, 5, 9
  CHECK(std::isnan(r.median_at(5)));
  // The best loss so far counts, not the last one.
  for (uint64_t s = 1; s <= 3; ++s)
    r.on_report(9, s, s == 1 ? 4.9 : 7.0);
  CHECK(r.on_report(9, 4, 7.0) == verdict::go_on);
  for (uint64_t s = 1; s <= 3; ++s)
    r.on_report(10, s, 5.1);
  CHECK(r.on_report(10, 4, 5.1) == verdict::stop);
}

TEST_CASE("no ended trial reached the step: the trial goes on", "[median_rule]") {
  median_rule r(1, 1, 0);
  finished_trial(r, 0, {1, 1});
  CHECK(r.on_report(9, 2, 100.0) == verdict::stop);
  CHECK(r.on_report(9, 3, 100.0) == verdict::go_on);
}

TEST_CASE("a retried trial's earlier good reports no longer count", "[median_rule]") {
  median_rule r(3, 1, 0);
  three_finished(r);
  CHECK(r.on_report(9, 1, 0.5) == verdict::go_on);
  CHECK(r.on_report(9, 2, 100.0) == verdict::go_on);  // best so far is 0.5
  r.on_retry(9);
  CHECK(r.on_report(9, 1, 100.0) == verdict::stop);
}
