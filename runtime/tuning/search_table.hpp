// search_table: a search's trials as its driver (the trial_scheduler actor)
// keeps them — status, attempts, reported and final values — with running
// counts and the best so far, and the result a finished search gives back.
// Plain C++, no CAF; one owner.
//
// Statuses: queued -> running -> finished | failed | stopped_early, and
// running -> lost -> (retried) running. Losses are what the optimizer sees
// (the metric, negated when maximizing); values are the metric itself.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "lagom/search.hpp"
#include "tuning/optimizer.hpp"

namespace lagom::tuning {

struct trial_entry {
  trial t;
  trial_view view;              ///< what tables and results show
  double best_loss = std::numeric_limits<double>::quiet_NaN();  ///< over reports
  uint64_t last_step = 0;
  bool stop_requested = false;  ///< early stopping (or the time budget) said stop
  bool missing = false;         ///< an id skipped on resume (a gap), not a trial
  /// The highest attempt number handed to a loop: a trial handed ahead and
  /// put back when its loop was lost may have started there unseen, so its
  /// next attempt takes a new number (never the same one twice).
  uint32_t handed = 0;
  /// Numbers handed out that never counted as a start (put back unseen):
  /// they spend no retry (lose_trial compares view.attempts - unstarted).
  uint32_t unstarted = 0;
};

class search_table {
public:
  explicit search_table(bool maximize) : maximize_(maximize) {}

  /// A new trial, queued. Ids must come in increasing order.
  trial_entry& add(const trial& t);
  /// nullptr when unknown.
  trial_entry* find(uint32_t id);
  const std::vector<trial_entry>& entries() const { return trials_; }

  double to_loss(double metric) const { return maximize_ ? -metric : metric; }
  double to_metric(double loss) const { return maximize_ ? -loss : loss; }
  /// True when metric `a` is better than `b`.
  bool better(double a, double b) const { return maximize_ ? a > b : a < b; }

  /// Moves a trial to `status`, keeping the counts; an ended status with a
  /// value updates the best.
  void set_status(trial_entry& e, run_status status);
  /// Records a report's metric; returns its loss.
  double report(trial_entry& e, uint64_t step, double metric);

  uint32_t running() const { return running_; }
  uint32_t finished() const { return finished_; }
  uint32_t stopped_early() const { return stopped_; }
  uint32_t failed() const { return failed_; }
  uint32_t retried() const { return retried_; }
  /// Trials that ended (finished, stopped early or failed).
  uint32_t ended() const { return finished_ + stopped_ + failed_; }

  /// A progress event about `e` with the current counts and best.
  search_progress progress(search_progress::kind_t kind, const trial_entry& e,
                           uint32_t budget) const;
  /// Best/worst/average over trials with a value (finished ones if any,
  /// else stopped-early ones), counts, and every trial by id.
  search_result summarize() const;

private:
  bool maximize_;
  std::vector<trial_entry> trials_;  // by id (ids are dense from the first)
  uint32_t running_ = 0, finished_ = 0, stopped_ = 0, failed_ = 0, retried_ = 0;
  bool has_best_ = false;
  double best_ = 0;
  uint32_t best_id_ = 0;
};

} // namespace lagom::tuning
