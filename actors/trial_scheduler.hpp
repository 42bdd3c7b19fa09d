// trial_scheduler: the driver of one hyperparameter search (one experiment
// of kind "search"), in the caller's process. It owns the optimizer, the
// early-stopping rule and the trial table, holds the search's containers, and
// keeps the registry's copy of the trial table current.
//
//   start -> services -> request containers -> create (or resume)
//   experiment -> [resume: rebuild optimizer, rule and table from the
//   registry] -> launch a trial loop in each container (container_exec.hpp)
//   a loop asks (atoms::next) -> retry queue first, else optimizer.ask -> the
//       trial is the answer (an ask with no trial to give waits)
//   the loop's next ask hands in the trial's result -> tell optimizer,
//       record; the same container goes on
//   trial threw -> failed (with its message), the search goes on
//   container lost / no heartbeat for heartbeat_timeout -> trial lost, retried
//       on a fresh container (at most max_retries times, then failed)
//   nothing left to ask, nothing running -> asks answered "none" (the loops
//       end), release, flush the table, end
// With an optimizer that does not learn from results (random, grid) and no
// time budget, a loop asks one trial ahead: it waits in the container and
// starts (is marked running) when the one before it returns; if the
// container is lost it goes back to the retry queue, no attempt spent.
//
// Asynchronous: no barrier; a slow trial only holds its own container. The
// trial table goes to the registry in batches (RunUpdateBatch, one LMDB
// transaction each): a batch is sent as soon as the previous one is stored,
// so a crash loses at most the changes of the last few milliseconds, and
// those trials are run again on resume. No trial is left "running" after its
// worker died: it is lost (retried) or failed, and the table says which.
//
// Messages:
//   (atoms::launch) -> unit              starts; answers when the search ended
//   (atoms::next, uint64 container, uint32 run, uint32 attempt, frame done)
//       -> frame FunctionLaunch (the next trial) or empty (none: the loop ends)
//       from a loop's trainer_worker; `done` is trial run/attempt's
//       FunctionResult or FunctionExit, empty for an ask ahead of need
//   (atoms::report, frame TrainReport) -> frame TrainDecision   (early stopping)
//       also stores the metrics (MetricReport to the registry), sent after
//       the batch that creates the trial's run: a trial starts within
//       microseconds of its ask, before its run may be stored
//   (atoms::heartbeat, frame TrialHeartbeat)                     (stragglers)
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
