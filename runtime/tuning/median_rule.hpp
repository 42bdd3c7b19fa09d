// The median stopping rule (Maggy's, after Google Vizier's), an
// early_stopper. Internal to runtime/tuning; make_early_stopper builds it.
//
// At a checked step s, a running trial stops when the best (lowest) loss it
// reported up to s is worse than the median, over the ended trials that
// reported up to step s or beyond, of each one's running average of loss
// (the mean of its reports at steps <= s).
//
// Assumptions:
//   - Losses are minimized; a trial's steps grow. NaN reports are skipped
//     (neither a best loss nor part of an average).
//   - "Finished" means ended, however: on_end with any outcome turns a
//     trial's reports into history the median is taken over, as Maggy's
//     finalized trials include early-stopped ones.
//   - Equal to the median is not worse: the best trial is never stopped.
//
// Priority order of on_report (the first that holds answers go_on):
//   1. fewer than min_trials trials have ended;
//   2. step < warmup, or step not a multiple of interval;
//   3. no ended trial reached step s, or the trial has no finite loss yet;
//   4. otherwise stop iff best loss so far > median.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "tuning/early_stopping.hpp"

namespace lagom::tuning {

class median_rule : public early_stopper {
public:
  /// interval >= 1 (make_early_stopper checks it).
  median_rule(uint32_t min_trials, uint64_t interval, uint64_t warmup);

  const char* name() const override { return "median"; }
  verdict on_report(uint32_t trial, uint64_t step, double loss) override;
  void on_end(uint32_t trial, outcome how) override;
  void on_retry(uint32_t trial) override;

  /// The median at `step` over the ended trials (NaN when none reached it).
  double median_at(uint64_t step) const;

private:
  using history = std::vector<std::pair<uint64_t, double>>;  ///< (step, loss), steps growing

  // Constant after construction.
  uint32_t min_trials_;
  uint64_t interval_;
  uint64_t warmup_;
  // Changed by the calls.
  std::map<uint32_t, history> running_;
  std::map<uint32_t, history> ended_;
};

} // namespace lagom::tuning
