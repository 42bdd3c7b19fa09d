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
//       answer only raises trial_signals::stop_decided when it is stop (and
//       counts as answered for trial_signals::await_reports); as a
//       request (the thread waits: many reports were unanswered) it is also
//       the reply.
//   (atoms::next, uint64 container, uint32 run, uint32 attempt, frame done)
//       From a trial loop's thread (container_exec.hpp), anonymously: trial
//       `run`/`attempt` ended with `done` (FunctionResult or FunctionExit;
//       empty for an ask made before any trial ended); asks the owner for
//       the next trial with the same message. The answer goes to
//       trial_signals::inbox: a FunctionLaunch is a trial to run, an empty
//       frame closes the inbox (the owner has no more), an error closes it
//       with that error, as does losing the owner (monitored).
//   (atoms::fs_tdinfo | fs_tdread, frame TrainingDatasetRequest)
//       -> frame TrainingDatasetInfo | TrainingDatasetBatch
//       A train function's reads of a training dataset (data=fs:NAME),
//       relayed to links.features (bounded by service_timeout); unavailable
//       naming the run without one.
// With links.heartbeat_ms > 0 it sends the owner (atoms::heartbeat, frame
// TrialHeartbeat) at once and then every heartbeat_ms while it lives: a
// frozen or partitioned worker falls silent, and the owner sees a straggler.
// It lives as long as the function runs; run_function stops it after.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "lagom/train.hpp"
#include "wire/frame.hpp"

namespace lagom::actors {

/// Where a run's reports, checkpoints and logs go; any may be null.
struct trainer_links {
  caf::actor owner;         // the experiment's driver (launch_coordinator)
  caf::actor registry;      // experiment_registry
  caf::actor checkpointer;
  caf::actor logs;          // log_aggregator
  uint32_t heartbeat_ms = 0; // > 0: heartbeats to the owner this often
  uint64_t epoch = 0;        // its node incarnation's epoch: stamped on every write
                             // (checkpoint, metrics, log) so a fenced one is refused
  caf::actor features;       // the head's feature_store_router (data=fs:NAME reads)
  std::string shared_data;   // not empty: a directory the head's checkpointer also
                             // uses (--shared-data); checkpoints are staged there by
                             // the function's thread and only committed by the head
};

/// The trials a loop's trainer_worker received for its thread, in order.
class trial_inbox {
public:
  /// A FunctionLaunch frame: a trial to run.
  void put(wire::frame trial);
  /// No more trials after those put (why: ok, or the owner's error).
  void close(status why);
  /// The next trial; false once closed and empty, or when `stop` is raised
  /// (checked every 50 ms while waiting).
  bool take(wire::frame& out, const std::atomic<bool>& stop);
  /// Why it was closed (ok when closed normally or still open).
  status closed_because() const;

private:
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::deque<wire::frame> trials_;
  bool closed_ = false;
  status why_;
};

/// What a run's function thread and its trainer_worker share.
struct trial_signals {
  std::atomic<uint64_t> running{0};           // the trial running: run << 32 | attempt
  std::atomic<bool> stop_decided{false};      // a report of it was answered stop
  std::atomic<uint32_t> reports_in_flight{0}; // anonymous reports not yet answered
  trial_inbox inbox;                          // a trial loop's next trials

  static uint64_t pack(uint32_t run, uint32_t attempt) { return uint64_t(run) << 32 | attempt; }
  /// Trial `id` starts on the function's thread.
  void start(const run_identity& id) {
    running = pack(id.run, id.attempt);
    stop_decided = false;
  }
  /// The trainer_worker: an anonymous report was answered.
  void report_answered() {
    {
      std::lock_guard<std::mutex> lock(answered_m_);
      --reports_in_flight;
    }
    answered_.notify_all();
  }
  /// The function's thread: waits until every anonymous report was answered,
  /// at most `limit`; false when some still were not.
  bool await_reports(std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(answered_m_);
    return answered_.wait_for(lock, limit, [&] { return reports_in_flight.load() == 0; });
  }

private:
  std::mutex answered_m_;
  std::condition_variable answered_;
};

/// Unanswered reports a function may leave behind before report() waits.
constexpr uint32_t report_window = 16;

caf::actor spawn_trainer_worker(caf::actor_system& sys, run_identity id, std::string node,
                                trainer_links links, std::shared_ptr<std::atomic<bool>> stop,
                                std::shared_ptr<trial_signals> signals);

/// The train_services of a function's thread: reports sent to `trainer`
/// without waiting (up to report_window unanswered), checkpoints as blocking
/// requests (bounded); TensorBoard scalars written to `tensorboard_dir`
/// (empty: none). load_checkpoint asks for run id.run's newest checkpoint
/// and, when it has none and id.has_parent, for run id.parent_run's (logging
/// that it did). Made and used on the function's thread only.
/// With `shared_data` not empty the payload never crosses the head: a save
/// stages the file in SHARED/checkpoints/<exp>/<run>/ and asks the
/// checkpointer to commit it (fenced: refused and the staged file removed;
/// a head that does not see the file, not_found: the bytes are sent after
/// all); a load reads the newest checkpoint there directly.
std::unique_ptr<train_services> make_train_services(caf::actor_system& sys, caf::actor trainer,
                                                    run_identity id, std::string node,
                                                    std::string tensorboard_dir,
                                                    std::shared_ptr<trial_signals> signals,
                                                    std::string shared_data = "");

} // namespace lagom::actors
