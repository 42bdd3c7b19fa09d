// trial_scheduler's state and the functions its three files share
// (trial_scheduler.cpp: trials and containers; trial_scheduler_start.cpp:
// creating or resuming the experiment; trial_scheduler_record.cpp: the
// registry's copy of the trial table and the end).
// Internal to actors/.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/experiment_frames.hpp"
#include "actors/trial_scheduler.hpp"
#include "core/log.hpp"
#include "scheduling/ledger.hpp"
#include "tuning/early_stopping.hpp"
#include "tuning/optimizer.hpp"
#include "tuning/search_table.hpp"
#include "wire/frame.hpp"

namespace lagom::actors::sched {

using clock = std::chrono::steady_clock;
using granted = scheduling::container;

/// A trial given to a container's loop.
struct placed {
  uint32_t trial = 0;
  uint32_t attempt = 0;    // the attempt it runs as: older answers are stale
};

/// One container the search holds; it runs a trial loop (container_exec.hpp).
struct slot {
  granted c;
  bool gone = false;       // lost or given up; a replacement was asked for
  bool starting = false;   // its loop was launched and has not asked yet
  std::deque<placed> trials;  // given to its loop, oldest first: the first
                              // runs, the others wait there (lookahead)
  clock::time_point last_beat; // of the trial running, or of the loop's start
  std::deque<caf::typed_response_promise<wire::frame>> asks; // its loop's, unanswered
  bool busy() const { return !trials.empty(); }
};

struct state {
  // Constant after construction.
  caf::actor head;
  search_job job;                     // on resume, completed from the registry
  std::shared_ptr<search_report> report;
  std::shared_ptr<spdlog::logger> log;
  // Set while starting.
  caf::actor registry;
  uint64_t experiment_id = 0;
  std::string experiment;
  std::unique_ptr<tuning::optimizer> opt;
  std::unique_ptr<tuning::early_stopper> stopper;
  tuning::search_table table{true};
  clock::time_point started;
  bool begun = false;                 // trials may be dispatched
  std::optional<clock::time_point> deadline;
  int name_tries = 0;
  // Mutable: trials and containers.
  std::vector<slot> slots;
  uint32_t replacing = 0;             // replacement containers asked for
  std::deque<uint32_t> retry;         // trials to run again, oldest first
  uint32_t next_id = 0;
  bool exhausted = false;             // the optimizer has nothing more
  // The registry's copy.
  std::vector<frames::run_change> batch;  // stamped with when they happened
  bool batch_in_flight = false;
  // Trials' metrics (MetricReport) waiting for the batch that creates their
  // run: sent right after it, so the registry never sees a run's metrics
  // before the run.
  std::vector<wire::frame> metrics_after;
  // The end.
  bool ending = false;
  bool answered = false;
  caf::typed_response_promise<caf::unit_t> done;
};

using self_ptr = caf::stateful_actor<state>*;

/// The hyperparameters trial `t` runs with: the fixed ones, its
/// configuration, and its budget under opts.resource.
named_values launch_params(const state& st, const tuning::trial& t);
/// Queues trial `e`'s current state for the registry and flushes.
void record(self_ptr self, const tuning::trial_entry& e, uint64_t container = 0);
/// Sends the queued changes unless a batch is in flight, then the metrics
/// that waited for them.
void flush(self_ptr self);
/// Stores a trial's reported metrics (frame MetricReport), after its run.
void record_metrics(self_ptr self, wire::frame metrics);
/// The queued changes as one RunUpdateBatch.
wire::frame batch_frame(const state& st);
/// Gives containers back to the head (best effort).
void release(self_ptr self, std::vector<uint64_t> ids);
/// Releases the containers, waits for the table to be stored, answers.
void finish(self_ptr self);
/// Requests the search's containers (the head checks the function and its
/// hyperparameters first), then calls `then`; on refusal the search ends.
void acquire(self_ptr self, std::function<void()> then);
/// Starts a trial loop in every container held and dispatches trials.
void begin(self_ptr self);
/// Tells every loop waiting for a trial that there is none (it ends).
void end_idle_loops(self_ptr self);
/// Finds the registry, creates (or resumes) the experiment, then begin().
void open_experiment(self_ptr self);

} // namespace lagom::actors::sched
