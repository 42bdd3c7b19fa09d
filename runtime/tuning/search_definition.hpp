// A search's definition as the registry keeps it: the named values stored
// with the experiment (storage::experiment_config::search), from which a
// restarted driver rebuilds the search (cluster::resume).
//
//   key              value
//   space            the search space's canonical text (searchspace::to_string)
//   optimizer        its name; "opt.<setting>" its settings
//   trials, seed     the trial budget and the seed
//   resource         the hyperparameter that gets ASHA's budget
//   early_stopping   none, median or asha; es_min, es_interval, es_warmup,
//                    es_reduction_factor, es_resource_min
//   containers, cpus, gpus, workers (absent: 1), max_retries, heartbeat_ms, time_budget_ms
//
// The fixed hyperparameters, the metric and the direction are fields of the
// experiment itself. Plain C++, no CAF.
#pragma once

#include "lagom/search.hpp"
#include "lagom/status.hpp"
#include "lagom/values.hpp"

namespace lagom::tuning {

named_values encode_search(const searchspace& space, const search_options& o);

/// Reads what encode_search wrote into `space` and the stored fields of `o`
/// (others are kept). A missing or malformed key is io_error naming
/// "search.<key>": the record is damaged, nothing is guessed.
status decode_search(const named_values& stored, searchspace& space, search_options& o);

} // namespace lagom::tuning
