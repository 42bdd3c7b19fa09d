// search_policy: the decisions of one hyperparameter search, in plain C++
// (no CAF). The trial_scheduler actor owns one and calls it from its
// handlers, as cluster_manager calls scheduling::ledger: the actor does the
// messaging, the timers and the registry; this decides.
//
// It holds the optimizer, the early-stopping rule, the trial table, the
// retry queue and, per container the search holds (a "slot", by index in
// the order added), the trials given to that container's trial loop.
//
// Decisions, in priority order:
//  1. A free container's ask (next) gets the oldest trial of the retry queue,
//     else the optimizer's next trial; none once the time budget is spent or
//     the search is ending. An optimizer answering `wait` is asked again on
//     the next call; one answering `exhausted` (or the trial budget spent)
//     moves the phase to draining.
//  2. Lookahead: with an optimizer that does not learn from results and no
//     time budget, a loop holds one trial ahead; it starts (running) when the
//     one before it returns. A container lost with trials waiting in it hands
//     them back to the front of the retry queue, queued, no attempt spent.
//  3. A lost trial (container lost, loop ended, no heartbeat for
//     heartbeat_timeout) goes to the back of the retry queue while its
//     attempts are <= max_retries; beyond that it failed. A replacement
//     container is asked for, except while ending.
//  4. A trial's answer for an attempt it no longer runs (a straggler that
//     came back) is ignored.
//  5. The search is over when nothing runs and nothing more can start: the
//     optimizer has nothing more and the retry queue is empty, or the time
//     budget is spent, or no container is left nor coming. Trials still in
//     the retry queue then failed ("not retried: the search ended").
//
// Every call that changes a trial queues a trial_change: the caller drains
// them (take_changes) to store the row and tell the watcher.
//
// Time is passed in (now): deterministic under test. Not thread-safe; one
// owner (the trial_scheduler actor).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lagom/run_status.hpp"
#include "lagom/search.hpp"
#include "lagom/status.hpp"
#include "tuning/early_stopping.hpp"
#include "tuning/optimizer.hpp"
#include "tuning/search_table.hpp"

namespace lagom::tuning {

using search_clock = std::chrono::steady_clock;

/// Where the search stands; moves only forward.
enum class search_phase {
  starting,  ///< optimizer, rule and containers being set up: nothing dispatched
  running,   ///< asks get retries first, else the optimizer's next trial
  draining,  ///< the optimizer has nothing more: retries and running trials only
  ending,    ///< containers released, the table being stored: nothing starts
  ended,     ///< the caller was answered
};
const char* to_string(search_phase p) noexcept;

/// A trial given to a container's loop, as the attempt it runs as.
struct placed {
  uint32_t trial = 0;
  uint32_t attempt = 0;
};

/// A trial's row changed: store it (as `status`, the status it moved to: a
/// later change in the same call may move it on; with `container` when it
/// just started there) and, when `notify`, tell the watcher `kind`.
struct trial_change {
  uint32_t trial = 0;
  run_status status = run_status::queued;
  uint64_t container = 0;
  bool notify = false;
  search_progress::kind_t kind = search_progress::trial_ended;
};

/// What becomes of a container whose loop ended (loop_ended).
enum class loop_fate {
  none,     ///< expected (ending, or already gone): nothing to do
  replace,  ///< lost: release it and ask for a replacement
  give_up,  ///< its loop ended otherwise: release it, not used again
};

/// A container to give back and replace, and why (tick).
struct container_loss {
  size_t slot = 0;
  std::string why;
};

/// The answer to a trial's report.
struct report_verdict {
  bool known = false;     ///< the trial exists (store its metrics)
  bool stop = false;      ///< tell it to stop
  std::string why;
  bool has_value = false; ///< it reported the metric while running
  double value = 0;
};

/// One run read back from the registry on resume.
struct stored_trial {
  trial t;
  run_status status = run_status::queued;
  double value = 0;  ///< the metric, NaN when none
  uint32_t attempts = 0;
  std::string node, error;
};

class search_policy {
public:
  explicit search_policy(search_options opts);

  /// Builds the optimizer and the rule of the options over `space`;
  /// invalid_argument naming the optimizer, rule or setting when bad.
  status configure(const searchspace& space);
  /// The same with the caller's optimizer and rule (stopper may be null).
  void configure(std::unique_ptr<optimizer> opt, std::unique_ptr<early_stopper> stopper);

  const search_options& options() const { return opts_; }
  search_phase phase() const { return phase_; }
  const search_table& table() const { return table_; }
  const trial_entry* find(uint32_t id) { return table_.find(id); }
  /// True when the optimizer hands its budget to options().resource.
  bool budgeted() const;
  /// Trials a loop may hold beyond the one running (see 2.).
  uint32_t lookahead() const;
  /// The hyperparameters trial `t` runs with: the fixed ones, its
  /// configuration, and its budget under options().resource.
  named_values launch_params(const trial& t) const;
  /// What the registry stores for a new run: launch_params, plus the
  /// Hyperband bracket.
  named_values stored_params(const trial& t) const;
  /// The hyperparameters of a trial at the centre of `space` (the head
  /// checks the function against them before granting containers).
  named_values probe_params(const searchspace& space) const;

  // --- resume (before begin) ---
  /// A run stored before a restart: ended ones are told to the optimizer,
  /// the others are queued to run again.
  void restore(const stored_trial& s);
  /// Ended trials, whose reported series the rule should see (replay).
  std::vector<uint32_t> ended_trials() const;
  /// Feeds the rule one stored report of ended trial `id`, then its end.
  void replay_report(uint32_t id, uint64_t step, double metric);
  void replay_end(uint32_t id);
  size_t retry_queued() const { return retry_.size(); }
  /// An early-stopping rule is set.
  bool has_rule() const { return stopper_ != nullptr; }

  // --- containers ---
  /// A container the search now holds; returns its slot.
  size_t add_container(uint64_t id, std::string node);
  /// A replacement asked for was granted (then add_container) or refused.
  void replacement_arrived() { --replacing_; }
  /// Slot i's loop was launched at `now`.
  void loop_started(size_t i, search_clock::time_point now);
  /// The slot of container `id`, when it still takes asks.
  std::optional<size_t> slot_of(uint64_t id) const;
  /// Containers held and not given up (to release at the end).
  std::vector<uint64_t> held() const;
  uint64_t container(size_t i) const { return slots_[i].id; }

  // --- the search ---
  /// Trials may be dispatched from now on; starts the time budget.
  void begin(search_clock::time_point now);
  search_clock::time_point started() const { return started_; }
  /// Slot i's loop asks for a trial.
  void asked(size_t i);
  /// A trial for one ask of slot i's loop, or none now (the ask waits).
  std::optional<placed> next(size_t i, search_clock::time_point now);
  /// Slot i's loop handed in trial `id`'s answer (attempt `attempt`):
  /// `result` is what the function returned (container_lost: lost), values
  /// its final metrics. A stale answer is ignored. Not none when the
  /// container was lost (container_lost): release it, and replace it.
  loop_fate returned(size_t i, uint32_t id, uint32_t attempt, const status& result,
                const named_values& values, double elapsed_ms, search_clock::time_point now);
  /// Slot i's container is lost: its trials are dealt with (3., 2.). True
  /// when a replacement should be asked for.
  bool lose(size_t i, const std::string& why);
  /// Slot i's loop ended with `result`.
  loop_fate loop_ended(size_t i, const status& result);
  /// The straggler check: slots whose running trial sent nothing for
  /// heartbeat_timeout, or whose starting loop has not asked for a trial
  /// within max(heartbeat_timeout, loop_start_grace), are lost (replacements
  /// counted). Past the time budget, running trials are asked to stop.
  std::vector<container_loss> tick(search_clock::time_point now);
  /// How long a launched loop may take to ask for its first trial when the
  /// heartbeat timeout is shorter: a worker process execs, connects back
  /// and looks its function up first (over a second under a sanitizer, or
  /// behind a slow library's start), and a heartbeat timeout set short to
  /// catch frozen trials quickly would otherwise lose every loop still
  /// starting, over and over.
  static constexpr std::chrono::milliseconds loop_start_grace{10000};
  void heartbeat(uint32_t id, uint32_t attempt, search_clock::time_point now);
  /// A running trial reported `metrics` at `step`.
  report_verdict report(uint32_t id, uint64_t step, const named_values& metrics,
                        search_clock::time_point now);
  /// True when the search is over (5.): the caller then ends it (end()).
  /// `overall` becomes unavailable when no container was left to run any
  /// trial.
  bool over(search_clock::time_point now, status& overall);
  /// Ends now (a failure while starting, or over()); idempotent.
  void end();
  /// The caller was answered.
  void answered() { phase_ = search_phase::ended; }
  bool ending() const { return phase_ >= search_phase::ending; }

  /// The changes since the last call, oldest first.
  std::vector<trial_change> take_changes();

private:
  struct slot {
    uint64_t id = 0;
    std::string node;
    bool gone = false;      // lost or given up
    bool starting = false;  // its loop was launched and has not asked yet
    std::deque<placed> trials;  // the first runs, the others wait (lookahead)
    search_clock::time_point last_beat;
    bool busy() const { return !trials.empty(); }
  };

  bool deadline_passed(search_clock::time_point now) const;
  void launch(size_t i, uint32_t id);
  void start_front(size_t i, search_clock::time_point now);
  void end_trial(trial_entry& e, outcome how, double loss);
  void lose_trial(trial_entry& e, const std::string& why);
  void judge(trial_entry& e, const status& result, const named_values& values);
  void change(const trial_entry& e, uint64_t container = 0, bool notify = false,
              search_progress::kind_t kind = search_progress::trial_ended);
  void exhaust();

  // Constant after configure.
  search_options opts_;
  std::unique_ptr<optimizer> opt_;
  std::unique_ptr<early_stopper> stopper_;
  // Mutable.
  search_phase phase_ = search_phase::starting;
  search_table table_{true};
  search_clock::time_point started_;
  std::optional<search_clock::time_point> deadline_;
  std::vector<slot> slots_;
  uint32_t replacing_ = 0;        // replacement containers asked for
  std::deque<uint32_t> retry_;    // trials to run again, oldest first
  uint32_t next_id_ = 0;
  std::vector<trial_change> changes_;
};

} // namespace lagom::tuning
