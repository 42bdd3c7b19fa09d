// trial_scheduler: the driver of one hyperparameter search (one experiment
// of kind "search"), in the caller's process: a thin actor around
// tuning::search_policy (runtime/tuning/search_policy.hpp), which makes
// every decision (what a free container runs next, retries, lookahead,
// stragglers, the time budget, when the search is over) and holds the
// optimizer, the early-stopping rule and the trial table. This actor does
// the messaging, the timers and the registry's copy of the table.
//
//   start -> services -> request containers -> create (or resume)
//   experiment -> [resume: rebuild the policy from the registry] -> launch
//   a trial loop in each container (container_exec.hpp)
//   a loop asks (atoms::next) -> policy.next: the trial is the answer (an
//       ask with no trial to give waits)
//   the loop's next ask hands in the trial's result -> policy.returned
//   container lost / loop ended / no heartbeat -> policy.lose: the trial is
//       retried (at most max_retries times, then failed); a replacement
//       container is asked for
//   policy.over -> asks answered "none" (the loops end), release, flush the
//       table, end
// Data-parallel trials (opts.workers > 1): a slot is a gang of `workers`
// containers (one gang request each, packed); every rank runs a trial loop,
// a trial is handed out once every rank asked, each rank's launch carries
// the trial's collective group (generation = attempt), and
// ddp::trial_gang (runtime/ddp/trial_gang.hpp) turns the ranks' ends into
// the trial's: rank 0's values when all returned; a lost rank loses the
// slot (the gang released and replaced, the trial retried); a rank's own
// error fails the trial. Only rank 0 reports (agree_stop, lagom/train.hpp).
// The phase is the policy's one enum (starting, running, draining, ending,
// ended); the only flag left here is the registry writer's batch in flight.
//
// Asynchronous: no barrier; a slow trial only holds its own container. The
// trial table goes to the registry in batches (RunUpdateBatch, one LMDB
// transaction each): a batch is sent as soon as the previous one is stored,
// so a crash loses at most the changes of the last few milliseconds, and
// those trials are run again on resume. No trial is left "running" after its
// worker died: it is lost (retried) or failed, and the table says which.
//
// The life of a trial, file by file, from the shell line to the registry
// (10 files; the optimizer's own file, e.g. runtime/tuning/asha.cpp, and
// actors/container_exec.cpp, which calls the function, are one step aside):
//   1. cli/commands/shell.cpp            reads the line
//   2. cli/script/search_command.cpp     parses `search FN k=v space {...}`
//                                        (the space: tuning's grammar)
//   3. cli/interpreter_search.cpp        cluster::search, progress, the table
//   4. actors/api/search.cpp             checks options, spawns this actor
//   5. actors/trial_scheduler.cpp        a container's loop asks atoms::next
//   6. runtime/tuning/search_policy.cpp  picks the trial: retry, else ask
//   7. actors/trainer_worker.cpp         runs it in the container, reports,
//                                        hands its result in with next ask
//   8. actors/trial_scheduler_record.cpp the policy's changes as a batch
//   9. actors/experiment_registry.cpp    stores the batch in one transaction
//  10. storage/experiment_table.cpp      the runs table in LMDB
//
// Messages:
//   (atoms::launch) -> unit              starts; answers when the search ended
//   (atoms::next, uint64 container, uint32 run, uint32 attempt, frame done)
//       -> frame FunctionLaunch (the next trial) or empty (none: the loop ends)
//       from a loop's trainer_worker; `done` is trial run/attempt's
//       FunctionResult or FunctionExit, empty for an ask ahead of need; an
//       unreadable `done` fails that trial (malformed_frame)
//   (atoms::report, frame TrainReport) -> frame TrainDecision   (early stopping)
//       also stores the metrics (MetricReport to the registry), sent after
//       the batch that creates the trial's run: a trial starts within
//       microseconds of its ask, before its run may be stored. A malformed
//       frame gets an error reply (malformed_frame or wrong_schema), never
//       "go on".
//   (atoms::heartbeat, frame TrialHeartbeat)                     (stragglers)
//       sent without a request: a malformed one is logged and dropped
//   (atoms::tick)                        internal: the straggler check
//   (atoms::release, frame ContainerLost) containers died with a node (logged;
//                                        their launches fail as lost)
// It quits after answering.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "lagom/search.hpp"
#include "lagom/status.hpp"

namespace lagom::actors {

struct search_job {
  std::string function;
  searchspace space;
  search_options opts;
  /// Continue experiment opts.name from the registry (space and options are
  /// read from there; only on_progress is taken from here).
  bool resume = false;
  std::function<void(const search_progress&)> on_progress;
};

struct search_report {
  status overall;        // why the search could not run or finish
  search_result result;
  searchspace space;     // the space searched (read from the registry on resume)
};

caf::actor spawn_trial_scheduler(caf::actor_system& sys, caf::actor cluster_manager,
                                 search_job job, std::shared_ptr<search_report> report);

} // namespace lagom::actors
