// Early stopping: whether a running trial should stop, from the metrics it
// reports. Two rules:
//
//   median rule (Maggy's, after Google Vizier): at a checked step s, a trial
//     stops when its best loss so far is worse than the median, over the
//     finished trials, of each one's running average of loss up to step s;
//     only once at least `min_trials` trials have finished, only at steps
//     >= `warmup`, and only every `interval` steps.
//   ASHA rung promotion (asynchronous successive halving as a pruner, like
//     Optuna's SuccessiveHalvingPruner and Ray Tune's ASHAScheduler): rungs
//     sit at steps resource_min * reduction_factor^k; a trial reaching a rung
//     goes on only if its loss there is among the best 1/reduction_factor of
//     every loss recorded at that rung so far (itself included).
//
// Losses are minimized (a max metric is negated by the caller). Steps are
// what the train function passes to report(). Plain C++, no CAF.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lagom/status.hpp"
#include "lagom/values.hpp"
#include "tuning/optimizer.hpp"

namespace lagom::tuning {

enum class verdict { go_on, stop };

class early_stopper {
public:
  virtual ~early_stopper() = default;
  virtual const char* name() const = 0;
  /// Trial `trial` reported `loss` at `step` (steps grow within a trial).
  virtual verdict on_report(uint32_t trial, uint64_t step, double loss) = 0;
  /// Trial `trial` ended; its reports so far count as its history.
  virtual void on_end(uint32_t trial, outcome how) = 0;
  /// Forget the unfinished trial `trial` (it will run again from step 0).
  virtual void on_retry(uint32_t trial) = 0;
};

struct early_stopping_options {
  std::string name = "none";   ///< none, median, asha
  // median
  uint32_t min_trials = 10;    ///< es_min: finished trials before the rule acts
  uint64_t interval = 1;       ///< es_interval: check every this many steps
  uint64_t warmup = 0;         ///< no stop before this step
  // asha
  double reduction_factor = 2;
  uint64_t resource_min = 1;
};

/// invalid_argument naming the rule (did-you-mean) or the setting when bad.
/// "none" gives a null `out`.
status make_early_stopper(const early_stopping_options& o, std::unique_ptr<early_stopper>& out);

} // namespace lagom::tuning
