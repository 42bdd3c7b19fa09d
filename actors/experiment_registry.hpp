// experiment_registry: one per cluster (on the head, or in the embedding
// process). Owns storage::experiment_table at DATA/registry: experiments,
// their runs, hyperparameters, metric series, status and timings.
//
// Messages (frames of schemas/experiment.capnp; a malformed frame or bad
// input gets an error reply naming the field, and nothing is stored):
//   (atoms::create, frame ExperimentCreate)  -> frame ExperimentInfo (no runs)
//       A taken name: invalid_argument naming it, unless resume is set (then
//       the stored experiment, running again; same kind and function).
//   (atoms::run_update, frame RunUpdate)     -> unit
//       Creates the run (status queued with its hyperparameters) if new,
//       then moves it to `status` (entering running counts an attempt), in
//       one transaction: a batch of one (storage::experiment_table::
//       apply_run_changes, the batch's path). Empty node
//       and error, container 0 and no final metrics keep what is stored;
//       hyperparameters of a run that exists are ignored. A finished or
//       stopped_early run never changes status: invalid_argument.
//   (atoms::run_update, frame RunUpdateBatch) -> unit
//       Each update as above, all in one transaction: all stored or none
//       (the error names "updates[i].<field>" or the run).
//   (atoms::metrics, frame MetricReport)     -> unit
//       Numbers only (a text is invalid_argument naming "metrics.<key>").
//   (atoms::exp_end, frame ExperimentEnd)    -> unit
//       status "finished", "failed" or "stopped", else invalid_argument.
//   (atoms::query, frame ExperimentQuery)    -> frame ExperimentInfo
//       not_found naming the experiment when unknown.
//   (atoms::list, frame ExperimentList)      -> frame ExperimentListing
//       Every experiment by id (creation order).
//   (atoms::metrics, frame MetricQuery)      -> frame MetricSeriesList
//       One series for `key`, or one per reported key (sorted) when empty.
//       not_found naming "experiment id N" or "<name>/<run>".
// An unknown experiment id is not_found naming "experiment id N"; an enum
// number the schema does not know is invalid_argument naming the field.
// Runs on CAF's scheduler; every call is one short LMDB transaction (a new
// run with a status other than queued: two).
#pragma once

#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "lagom/status.hpp"
#include "supervision/membership.hpp"

namespace lagom::actors {

/// Opens DATA/registry (creating it and DATA) and spawns the actor; an
/// unusable directory or registry is an error naming the path, and nothing
/// is spawned. LMDB allows one open of a registry per process: two live
/// registries on the same data directory in one process are a caller's bug.
/// `members` (may be null): a write (create, run update, metrics, end) whose
/// frame carries a fenced or unknown node epoch is refused with errc::fenced.
status spawn_experiment_registry(caf::actor_system& sys, const std::string& data_dir,
                                 caf::actor& out,
                                 std::shared_ptr<const supervision::membership> members = nullptr);

} // namespace lagom::actors
