// storage/experiment_records: what the experiment registry stores, and the
// value layout of each record (format version 1). The keys that lead to these
// values are in experiment_table.cpp. Field types are those of encoding.hpp.
//
// experiment (db "experiments"), version 2 (version 1, still read, ends
// before `search`):
//   u8 version = 2 | u64 id | str name | u8 kind | u8 status | i64 created_ms
//   | str function | named_values hyperparameters | str metric | u8 direction
//   | named_values search
//
// run (db "runs"), version 1:
//   u8 version = 1 | u64 experiment_id | u32 run | u8 status
//   | named_values hyperparameters | i64 start_ms | i64 end_ms | str node
//   | u64 container | u32 attempts | str error | named_values final_metrics
//
// metric point (db "metrics"; the step is in the key), version 1:
//   u8 version = 1 | f64 value | i64 wall_ms
//
// The enum bytes are the pinned numbers below. A record with another version,
// an unknown enum byte, or bytes short of or beyond its fields is rejected as
// io_error "corrupt record" naming where it was read; a reader never guesses.
// Times are milliseconds since the Unix epoch; 0 means "not yet".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lagom/status.hpp"
#include "lagom/run_status.hpp"
#include "lagom/values.hpp"

namespace lagom::storage {

enum class experiment_kind : uint8_t {
  train = 0,   ///< one training run (maybe data-parallel)
  search = 1,  ///< a hyperparameter search: many runs (trials)
};

enum class experiment_status : uint8_t {
  running = 0,
  finished = 1,
  failed = 2,
  stopped = 3,  ///< stopped by a user before it finished
};

/// A run's status is lagom::run_status (lagom/run_status.hpp): the same
/// enum from the driver to the stored byte.
using lagom::run_status;
using lagom::to_string;
using lagom::run_status_named;
using lagom::is_final;
using lagom::has_ended;

/// Which way the optimization metric is better.
enum class direction : uint8_t { max = 0, min = 1 };

const char* to_string(experiment_kind v) noexcept;
const char* to_string(experiment_status v) noexcept;
const char* to_string(direction v) noexcept;

/// What a user chooses when starting an experiment.
struct experiment_config {
  std::string function;          ///< the registered train function's name
  named_values hyperparameters;  ///< train: its values; search: fixed ones
  std::string metric;            ///< search: the optimization key
  direction dir = direction::max;
  /// search: its definition (space, optimizer, settings, trial budget, seed,
  /// early stopping, ...), enough for a restarted driver to resume it; empty
  /// for train. Kept opaque here: the driver writes and reads it.
  named_values search;
};

struct experiment {
  uint64_t id = 0;  ///< assigned by the table, from 1, never reused
  std::string name;
  experiment_kind kind = experiment_kind::train;
  experiment_status status = experiment_status::running;
  int64_t created_ms = 0;
  experiment_config config;
};

/// One run of an experiment: the training run, or one trial of a search.
struct run_record {
  uint64_t experiment_id = 0;
  uint32_t run = 0;  ///< chosen by the caller, unique within the experiment
  run_status status = run_status::queued;
  named_values hyperparameters;
  int64_t start_ms = 0;  ///< set when it first runs
  int64_t end_ms = 0;    ///< set when it ends (has_ended)
  std::string node;      ///< the node it last ran on
  uint64_t container = 0;
  uint32_t attempts = 0;  ///< how many times it started running
  std::string error;      ///< why it last failed or was lost
  named_values final_metrics;
};

/// One point of a metric series.
struct metric_point {
  uint64_t step = 0;
  double value = 0;
  int64_t wall_ms = 0;
};

/// Checks what a user gives when creating an experiment: function and metric
/// are names (check_name), a search needs a metric, hyperparameters pass
/// check_values. where = "config.function", "config.metric",
/// "config.hyperparameters[.<name>]".
status check(experiment_kind kind, const experiment_config& config);
/// Checks a run's named values and node name. where = "hyperparameters",
/// "final_metrics" (or "<field>.<name>"), "node".
status check(const run_record& run);

/// The current format version of the run and metric records.
constexpr uint8_t record_version = 1;
/// The current format version of the experiment record (1 is still read).
constexpr uint8_t experiment_record_version = 2;

std::string encode(const experiment& e);
std::string encode(const run_record& r);
/// A metric point's value bytes (its step belongs to the key).
std::string encode(const metric_point& p);

/// Decodes `bytes`; on error *out is unspecified and where = `where`.
status decode(std::string_view bytes, const std::string& where, experiment* out);
status decode(std::string_view bytes, const std::string& where, run_record* out);
/// Sets out->value and out->wall_ms (not the step).
status decode(std::string_view bytes, const std::string& where, metric_point* out);

} // namespace lagom::storage
