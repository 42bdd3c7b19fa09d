// experiment_registry: one per cluster (on the head, or in the embedding
// process). Owns storage::experiment_table at DATA/registry: experiments,
// their runs, hyperparameters, metric series, status and timings.
//
// Messages (frames of schemas/experiment.capnp; a malformed frame or bad
// input gets an error reply naming the field, and nothing is stored):
//   (atoms::create, frame ExperimentCreate)  -> frame ExperimentInfo (no runs)
//       A taken name: invalid_argument naming it, unless resume is set.
//   (atoms::run_update, frame RunUpdate)     -> unit
//       Creates the run (status queued with its hyperparameters) if new,
//       else moves its status (storage::experiment_table::update_run_status).
//   (atoms::metrics, frame MetricReport)     -> unit
//   (atoms::exp_end, frame ExperimentEnd)    -> unit
//   (atoms::query, frame ExperimentQuery)    -> frame ExperimentInfo
//       not_found naming the experiment when unknown.
//   (atoms::list, frame ExperimentList)      -> frame ExperimentListing
//   (atoms::metrics, frame MetricQuery)      -> frame MetricSeriesList
// Runs on CAF's scheduler; every call is one short LMDB transaction.
#pragma once

#include <string>

#include <caf/fwd.hpp>

#include "lagom/status.hpp"

namespace lagom::actors {

/// Opens DATA/registry (creating it) and spawns the actor; an unusable
/// directory or registry is an error naming the path, and nothing is spawned.
status spawn_experiment_registry(caf::actor_system& sys, const std::string& data_dir,
                                 caf::actor& out);

} // namespace lagom::actors
