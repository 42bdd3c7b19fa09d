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
//       driver) whether to go on, answers. No owner, or no answer within
//       30 s: go on (logged).
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

caf::actor spawn_trainer_worker(caf::actor_system& sys, run_identity id, std::string node,
                                trainer_links links, std::shared_ptr<std::atomic<bool>> stop);

/// The train_services of a function's thread: blocking requests (bounded) to
/// `trainer`; TensorBoard scalars written to `tensorboard_dir` (empty: none).
/// Made and used on the function's thread only.
std::unique_ptr<train_services> make_train_services(caf::actor_system& sys, caf::actor trainer,
                                                    run_identity id, std::string node,
                                                    std::string tensorboard_dir);

} // namespace lagom::actors
