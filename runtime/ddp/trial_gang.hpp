// ddp::trial_gang: the ranks of one search container slot whose trials are
// data-parallel (`search FN workers=N`): each trial runs on all N ranks at
// once, each rank a trial loop in its own container of one gang grant. Plain
// C++ (no CAF), one per slot, owned by the trial_scheduler actor; it reuses
// ddp::job_policy for the one_for_all verdict on the ranks' ends, with each
// trial attempt one generation.
//
//   start(trial, attempt) -> every rank runs it in the group
//     "<search>-t<trial>.<attempt>" (group_job(), generation = attempt)
//   rank_done(rank, trial, attempt, result, values)
//     wait      ranks of this trial still run
//     finished  every rank returned ok: rank 0's values are the trial's
//               (its reports, already averaged over the ranks, are the ones
//               the scheduler saw)
//     failed    a rank's function threw its own error (or the ranks disagree
//               on their collectives): the trial failed with why(); the
//               gang is torn down (the other ranks may wait in a collective)
//     lost      a rank was lost (its worker or container died, a collective
//               saw a peer vanish or time out): the gang is torn down and
//               the trial retried as a new attempt (a new generation) on a
//               fresh gang, from its checkpoint
// Ends of another trial or attempt (a straggler's) are `stale`.
//
// Threading: one owner. No clock.
#pragma once

#include <cstdint>
#include <string>

#include "ddp/job_policy.hpp"
#include "lagom/status.hpp"
#include "lagom/values.hpp"

namespace lagom::ddp {

class trial_gang {
public:
  /// `search` names the experiment (made safe for group names); `world` >= 1.
  trial_gang(const std::string& search, uint32_t world);

  uint32_t world() const { return world_; }
  /// Trial `trial` starts on every rank as attempt `attempt`.
  void start(uint32_t trial, uint32_t attempt);
  /// The group's job id for trial `trial` (its generation is the attempt).
  std::string group_job(uint32_t trial) const;
  bool running() const { return running_; }

  enum class end { wait, finished, failed, lost, stale };
  /// Rank `rank` handed in its end of trial/attempt with `result` (and the
  /// function's `values` when ok).
  end rank_done(uint32_t rank, uint32_t trial, uint32_t attempt, const status& result,
                const named_values& values, double elapsed_ms);
  /// After finished: rank 0's values and time; after failed or lost: why.
  const named_values& values() const { return values_; }
  double elapsed_ms() const { return elapsed_ms_; }
  const status& why() const { return why_; }

private:
  std::string search_;
  uint32_t world_;
  job_policy policy_;
  bool running_ = false;
  uint32_t trial_ = 0, attempt_ = 0;
  named_values values_;
  double elapsed_ms_ = 0;
  status why_;
};

const char* to_string(trial_gang::end e);

} // namespace lagom::ddp
