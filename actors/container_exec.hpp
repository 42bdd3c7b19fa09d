// How a container runs its function, for node_manager and `lagom worker`.
// Not an actor: the code that runs on a container's own thread.
//
//  - run_function: calls the train function with its context and turns what
//    happens into the reply frame: FunctionResult, or FunctionExit with
//    function_failed when it throws. Used by both modes below and by the
//    worker process. It returns once the owner answered the function's
//    reports (at most 35 s after the function): the result goes its own way
//    (node, head) and must not overtake them. A trial loop (a search's container, launch_spec::
//    trial_loop) instead asks its owner for one trial after another through
//    its trainer_worker (atoms::next, handing in the last trial's frame) and
//    runs each, until the owner answers none or the container is stopped;
//    its own result is FunctionResult {trials: n}. The trial's frames thus
//    travel straight between the container and the trial_scheduler, not
//    through node and head, and no thread or actor is started per trial.
//    With a lookahead (an optimizer whose asks do not depend on results)
//    the next trial is asked for while the current one runs, so none waits.
//  - thread mode: start_thread runs run_function on a new detached thread and
//    sends (atoms::finished, id, frame) to the node_manager.
//  - process mode: start_process runs `lagom worker` on a new detached thread
//    that waits for it and then sends (atoms::exited, id, int32 pid, int32
//    wait_status, std::string description) to the node_manager (the pid tells
//    this worker's exit from a later worker's in the same container); the worker itself delivers
//    (atoms::finished, id, frame) over CAF before it exits.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include <caf/fwd.hpp>

#include "actors/trainer_worker.hpp"
#include "core/child_process.hpp"
#include "ddp/rank_group.hpp"
#include "lagom/train.hpp"
#include "wire/frame.hpp"

namespace lagom::actors {

/// A launch as the container sees it (decoded from FunctionLaunch).
struct launch_spec {
  std::string function;
  train_context::placement where;
  named_values params;
  run_identity id;
  uint32_t heartbeat_ms = 0;  ///< > 0: the trainer heartbeats to the owner this often
  bool trial_loop = false;    ///< ask the owner for trials (atoms::next) until none
  uint32_t lookahead = 0;     ///< a trial loop's trials asked for ahead of need
  /// A data-parallel rank's group (group.present()): the function gets a
  /// communicator over it (ddp/rank_group.hpp); a failed collective is the
  /// run's exit reason (timeout, container_lost) whatever the function threw;
  /// with group.timeline its trace goes to
  /// DATA/timelines/<experiment>/gen-<g>.rank-<r>.json.
  ddp::group_spec group;
};

/// Decodes a FunctionLaunch frame; `node` names the node for the context.
status decode_launch(const wire::frame& f, const std::string& node, launch_spec& out);

/// FunctionExit for container `id` with `why`.
wire::frame exit_frame(uint64_t id, const status& why);

/// Runs function `fn` for `spec` on the calling thread, its hyperparameters
/// checked and completed with defaults first, with a trainer_worker for its
/// reports, checkpoints and logs (to `links`); TensorBoard files go under
/// DATA/tensorboard/<experiment>/run-<n>. Never throws.
wire::frame run_function(caf::actor_system& sys, const train_fn_registration& fn,
                         launch_spec spec, std::shared_ptr<std::atomic<bool>> stop,
                         const trainer_links& links, const std::string& data_dir);

void start_thread(caf::actor node, train_fn_registration fn, launch_spec spec,
                  std::shared_ptr<std::atomic<bool>> stop, trainer_links links,
                  std::string data_dir);

/// The watcher thread is returned, not detached: the node joins it once it
/// reported the exit, or when the node ends (after killing its workers), so
/// that no watcher outlives the actor system it sends to.
std::thread start_process(caf::actor node, uint64_t container, proc::spawn_spec spawn);

} // namespace lagom::actors
