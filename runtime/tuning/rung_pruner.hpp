// ASHA rung promotion as an early_stopper, like Optuna's
// SuccessiveHalvingPruner with min_early_stopping_rate 0 (and Ray Tune's
// ASHAScheduler). Internal to runtime/tuning; make_early_stopper builds it.
//
// Rungs sit at steps resource_min * rf^k, k = 0, 1, ... A report at step s
// completes every rung the trial had not completed yet whose step is <= s,
// lowest first, each with the loss of that report (as Optuna records it).
// At each rung it completes, the trial goes on only if its loss is among
// the best of every loss recorded at that rung so far, itself included:
// with n such losses, <= the floor(n / rf)-th smallest, or the smallest when
// floor(n / rf) is 0 (the first rf - 1 arrivals must be the best so far).
//
// Assumptions:
//   - Losses are minimized; a NaN loss stops the trial at its next rung.
//   - Rung losses of ended trials stay (they are the competition); a retried
//     trial's are forgotten, since it will run again from step 0.
//   - No trial waits for others: a decision uses only what is recorded now,
//     so early arrivals at a rung are judged against fewer losses.
//
// Priority order of on_report: below the next rung's step, go_on; then for
// each rung completed by this report, lowest first: NaN -> stop; not
// among the best -> stop; otherwise record and go on to the next rung.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "tuning/early_stopping.hpp"

namespace lagom::tuning {

class rung_pruner : public early_stopper {
public:
  /// reduction_factor >= 2, resource_min >= 1 (make_early_stopper checks).
  rung_pruner(double reduction_factor, uint64_t resource_min);

  const char* name() const override { return "asha"; }
  verdict on_report(uint32_t trial, uint64_t step, double loss) override;
  void on_end(uint32_t trial, outcome how) override;
  void on_retry(uint32_t trial) override;

  /// The step of rung k.
  double rung_step(size_t k) const;
  /// How many losses rung k holds.
  size_t recorded(size_t k) const;

private:
  // Constant after construction.
  double reduction_factor_;
  uint64_t resource_min_;
  // Changed by the calls: rung k's losses by trial id.
  std::vector<std::map<uint32_t, double>> rungs_;
  std::map<uint32_t, size_t> completed_;  ///< rungs each trial has completed
};

} // namespace lagom::tuning
