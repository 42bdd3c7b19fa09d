// Views of the experiment registry, the metric series and the run logs, as
// lagom::cluster returns them (list_experiments, experiment, metric_series,
// logs). Plain values: no CAF, nothing to release. Times are milliseconds
// since the Unix epoch; 0 means "not yet".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lagom/run_status.hpp"
#include "lagom/values.hpp"

namespace lagom {

/// One run of an experiment: the training run, or one trial of a search.
struct run_view {
  uint32_t run = 0;
  run_status status = run_status::queued;
  named_values hyperparameters;
  int64_t start_ms = 0;  ///< when it first ran
  int64_t end_ms = 0;    ///< when it ended (finished, failed, stopped_early, lost)
  std::string node;      ///< where it last ran
  uint64_t container = 0;
  uint32_t attempts = 0;  ///< how many times it started running
  std::string error;      ///< why it last failed or was lost
  named_values final_metrics;
};

struct experiment_view {
  uint64_t id = 0;
  std::string name;
  std::string kind;    ///< "train" or "search"
  std::string status;  ///< "running", "finished", "failed" or "stopped"
  int64_t created_ms = 0;
  std::string function;
  named_values hyperparameters;  ///< train: its values; search: the fixed ones
  std::string metric;            ///< the optimization key (search); may be empty
  std::string direction;         ///< "max" or "min"
  std::vector<run_view> runs;    ///< by run number
};

/// One point of a run's metric series.
struct metric_point {
  uint64_t step = 0;
  double value = 0;
  int64_t wall_ms = 0;
};

/// One log record of a run.
struct log_line {
  std::string experiment;
  uint32_t run = 0;
  std::string level;  ///< trace, debug, info, warn or error
  int64_t wall_ms = 0;
  std::string node;   ///< empty when unknown
  std::string message;
};

} // namespace lagom
