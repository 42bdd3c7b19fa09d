// trainer_worker: the actor of one running train function (one container
// run), in the process that runs it (the node for thread containers, the
// `lagom worker` process otherwise). The function's thread never touches an
// actor directly: train_context calls go through train_services (below) as
// bounded blocking requests to this actor, which talks to the services.
//
//   function thread --(report/save/load/log)--> trainer_worker --> registry,
//                                                                   owner (driver),
//                                                                   checkpointer,
//                                                                   log_aggregator
// Messages (frames of schemas/experiment.capnp):
//   (atoms::report, frame TrainReport) -> frame TrainDecision
//       Sends the metrics to the registry, asks the owner (the experiment's
//       driver) whether to go on. No owner, or no answer within 30 s: go on
//       (logged). Sent anonymously (the function's thread goes on at once) the
//       answer only raises trial_signals::stop_decided when it is stop; as a
//       request (the thread waits: many reports were unanswered) it is also
//       the reply.
//   (atoms::next, uint64 container, frame done) -> frame FunctionLaunch, or
//       an empty frame
//       A trial loop's thread (container_exec.hpp) hands in the trial that
//       ended (`done`: its FunctionResult or FunctionExit; empty the first
//       time) and asks for the next: sent on to the owner as (atoms::next,
//       container, run, attempt, done). The answer is the next trial, which
//       this actor then speaks for (reports, heartbeats), or an empty frame:
//       the loop ends, as it also does when the container is asked to stop
//       (checked at each heartbeat). An error: the owner is gone (monitored).
//   (atoms::save, frame CheckpointSave) -> frame CheckpointSaved
//   (atoms::load, frame CheckpointLoad) -> frame CheckpointData
//       Forwarded to the checkpointer; no checkpointer: an error reply.
//   (atoms::log, frame LogRecord)       sent on to the log_aggregator
//   (atoms::stop, uint64_t)             raises the run's stop flag
// With links.heartbeat_ms > 0 it sends the owner (atoms::heartbeat, frame
// TrialHeartbeat) at once and then every heartbeat_ms while it lives: a
// frozen or partitioned worker falls silent, and the owner sees a straggler.
// It lives as long as the function runs; run_function stops it after.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "lagom/train.hpp"

namespace lagom::actors {

/// Where a run's reports, checkpoints and logs go; any may be null.
struct trainer_links {
  caf::actor owner;         // the experiment's driver (launch_coordinator)
  caf::actor registry;      // experiment_registry
  caf::actor checkpointer;
  caf::actor logs;          // log_aggregator
  uint32_t heartbeat_ms = 0; // > 0: heartbeats to the owner this often
};

/// What a run's function thread and its trainer_worker share.
struct trial_signals {
  std::atomic<bool> stop_decided{false};      // a report of this trial was answered stop
  std::atomic<uint32_t> reports_in_flight{0}; // anonymous reports not yet answered
};

/// Unanswered reports a function may leave behind before report() waits.
constexpr uint32_t report_window = 16;

caf::actor spawn_trainer_worker(caf::actor_system& sys, run_identity id, std::string node,
                                trainer_links links, std::shared_ptr<std::atomic<bool>> stop,
                                std::shared_ptr<trial_signals> signals);

/// The train_services of a function's thread: reports sent to `trainer`
/// without waiting (up to report_window unanswered), checkpoints as blocking
/// requests (bounded); TensorBoard scalars written to `tensorboard_dir`
/// (empty: none). Made and used on the function's thread only.
std::unique_ptr<train_services> make_train_services(caf::actor_system& sys, caf::actor trainer,
                                                    run_identity id, std::string node,
                                                    std::string tensorboard_dir,
                                                    std::shared_ptr<trial_signals> signals);

} // namespace lagom::actors
