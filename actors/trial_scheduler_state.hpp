// trial_scheduler's state and the functions its three files share
// (trial_scheduler.cpp: messages about trials and containers;
// trial_scheduler_start.cpp: creating or resuming the experiment;
// trial_scheduler_record.cpp: the registry's copy of the trial table and the
// end). The decisions are tuning::search_policy's; this is messaging only.
// Internal to actors/.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/experiment_frames.hpp"
#include "actors/trial_scheduler.hpp"
#include "core/log.hpp"
#include "ddp/trial_gang.hpp"
#include "scheduling/ledger.hpp"
#include "tuning/search_policy.hpp"
#include "wire/frame.hpp"

namespace lagom::actors::sched {

using clock = tuning::search_clock;
using granted = scheduling::container;

using ask_promise = caf::typed_response_promise<wire::frame>;

/// One container the search holds, as the actor sees it: the grant (for
/// launch frames) and its loop's unanswered asks. Index = the policy's slot.
/// With workers > 1 a slot is a gang: `ranks` holds every rank's container
/// (c is rank 0's), each rank's loop asks apart (rank_asks), and a trial is
/// given out once every rank asked; `gang` judges the ranks' ends.
struct holding {
  granted c;
  std::deque<ask_promise> asks;
  std::vector<granted> ranks;
  std::vector<std::deque<ask_promise>> rank_asks;
  std::shared_ptr<ddp::trial_gang> gang;
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
  int name_tries = 0;
  /// The decisions; replaced once the options are known (resume).
  tuning::search_policy policy{search_options{}};
  // Mutable: the containers' loops.
  std::vector<holding> held;          // by the policy's slot
  /// workers > 1: a gang rank's container -> (slot, rank).
  std::map<uint64_t, std::pair<size_t, uint32_t>> rank_of;
  // The registry's copy.
  std::vector<frames::run_change> batch;  // stamped with when they happened
  bool batch_in_flight = false;
  // Trials' metrics (MetricReport) waiting for the batch that creates their
  // run: sent right after it, so the registry never sees a run's metrics
  // before the run.
  std::vector<wire::frame> metrics_after;
  caf::typed_response_promise<caf::unit_t> done;
};

using self_ptr = caf::stateful_actor<state>*;

/// Stores and announces what the policy changed since the last call.
void apply_changes(self_ptr self);
/// Sends the queued changes unless a batch is in flight, then the metrics
/// that waited for them.
void flush(self_ptr self);
/// Stores a trial's reported metrics (frame MetricReport), after its run.
void record_metrics(self_ptr self, wire::frame metrics);
/// The queued changes as one RunUpdateBatch.
wire::frame batch_frame(const state& st);
/// Gives containers back to the head (best effort).
void release(self_ptr self, std::vector<uint64_t> ids);
/// Every container the search still holds (all ranks of a gang slot).
std::vector<uint64_t> held_containers(const state& st);
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
