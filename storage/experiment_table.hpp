// storage/experiment_table: the experiment registry's persistence. Experiments,
// their runs (the training run, or the trials of a search) and each run's
// metric series, in one LMDB environment (layout version 1; the key layout is
// at the top of experiment_table.cpp, the value layouts in
// experiment_records.hpp).
//
// Contract:
//  - Every call returns a status; on error the outputs are unspecified and
//    nothing was stored (each change is one LMDB transaction).
//  - Inputs from outside are checked before anything is written, and the
//    error is invalid_argument whose where names the field ("name",
//    "config.metric", "hyperparameters", "metric key", ...).
//  - A missing experiment or run is not_found; where names it as
//    "<experiment name>" or "<experiment name>/<run>" ("experiment id N" when
//    only the id is known).
//  - A commit is durable; a crash (or kill -9) mid-write leaves the previous
//    commit, whole.
//  - Run status moves freely, except that a run that is finished or
//    stopped_early (is_final) never changes status again.
//
// Threading: one owner (the experiment_registry actor) calls it. Not meant for
// concurrent calls, though concurrent readers would be safe with LMDB.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lagom/status.hpp"
#include "lagom/values.hpp"
#include "storage/experiment_records.hpp"
#include "storage/lmdb.hpp"

namespace lagom::storage {

struct table_options {
  /// Map of 1 GiB growing by doubling up to 64 GiB (address space, not disk).
  env_options env = {uint64_t{1} << 30, uint64_t{64} << 30, 8};
  /// Milliseconds since the Unix epoch; empty means the system clock.
  /// (A seam for tests.)
  std::function<int64_t()> clock;
};

/// What create_experiment does when the name is taken.
enum class if_exists {
  fail,    ///< invalid_argument naming the experiment
  resume,  ///< return the stored experiment (same kind and function), running
};

/// Fields update_run_status sets besides the status; empty ones are kept.
struct run_update {
  std::optional<std::string> node;
  std::optional<uint64_t> container;
  /// Cut to max_text_bytes rather than refused: a long stack trace must not
  /// cost the status change.
  std::optional<std::string> error;
  std::optional<named_values> final_metrics;
};

/// One change of a run, for apply_run_changes.
struct run_change {
  uint64_t experiment_id = 0;
  uint32_t run = 0;
  run_status status = run_status::queued;
  named_values hyperparameters;  ///< used when the run is new
  run_update update;
  int64_t at_ms = 0;             ///< when it happened (a run's start/end); 0: when stored
};

class experiment_table {
public:
  /// A table that is not open; every call on it fails with internal.
  experiment_table() = default;

  /// Opens (creating if needed) the table in directory `dir`, conventionally
  /// DATA/registry. A table written by another layout version is refused.
  static status open(const std::string& dir, const table_options& options,
                     experiment_table* out);

  // --- experiments -----------------------------------------------------------

  /// Creates experiment `name` with the next id, status running, created now.
  /// `name` is path-safe (see check_name); a search needs config.metric.
  status create_experiment(const std::string& name, experiment_kind kind,
                           const experiment_config& config, if_exists mode, experiment* out);
  status get_experiment(const std::string& name, experiment* out) const;
  status get_experiment(uint64_t id, experiment* out) const;
  /// Every experiment, by id (creation order).
  status list_experiments(std::vector<experiment>* out) const;
  status set_experiment_status(uint64_t id, experiment_status s);

  // --- runs ------------------------------------------------------------------

  /// Stores `run` as given (creating or replacing it) in an existing experiment.
  status put_run(const run_record& run);
  /// Moves a run to status `s` in one read-modify-write transaction. A run in
  /// a final status never moves; a cancelled run moves only to running or
  /// queued (a resume), so a driver's late lost or failed does not overwrite
  /// why it stopped; any other move is invalid_argument. Entering
  /// running counts an attempt (and sets start_ms the first time); entering an
  /// ended status sets end_ms. Then applies `update`. *out (if given) gets the
  /// stored record.
  status update_run_status(uint64_t experiment_id, uint32_t run, run_status s,
                           const run_update& update = {}, run_record* out = nullptr);
  /// Applies `changes` in order in ONE transaction (a search's trial table
  /// changes at thousands a second: one commit for many). A run that does not
  /// exist is created first (queued, with the change's hyperparameters), then
  /// moved as update_run_status does. All or nothing: the first bad change
  /// (unknown experiment, a final run moved) fails the batch, naming it, and
  /// nothing is stored. A change that would move a cancelled run anywhere but
  /// running or queued is dropped (a late report of a search cancelled under
  /// it); the other changes are applied.
  status apply_run_changes(const std::vector<run_change>& changes);
  status get_run(uint64_t experiment_id, uint32_t run, run_record* out) const;
  /// Every run of the experiment, by run number.
  status list_runs(uint64_t experiment_id, std::vector<run_record>* out) const;

  // --- metrics ---------------------------------------------------------------

  /// Records `value` of metric `key` at `step`, stamped now. A step recorded
  /// again replaces the earlier point (a restarted run reports steps again).
  status append_metric(uint64_t experiment_id, uint32_t run, uint64_t step,
                       const std::string& key, double value);
  /// Records every entry of `metrics` at `step` in one transaction; a text
  /// value is invalid_argument.
  status append_metrics(uint64_t experiment_id, uint32_t run, uint64_t step,
                        const named_values& metrics);
  /// The series of `key`, by step (empty when the run never reported it).
  status read_metric(uint64_t experiment_id, uint32_t run, const std::string& key,
                     std::vector<metric_point>* out) const;
  /// The metric keys the run reported, sorted bytewise.
  status metric_keys(uint64_t experiment_id, uint32_t run, std::vector<std::string>* out) const;

  /// The best finished or stopped_early run by `metric` in direction `dir`:
  /// its final metric, or else the last point of its series. NaN never wins;
  /// a tie goes to the lower run number. not_found when no run qualifies.
  status best_run(uint64_t experiment_id, const std::string& metric, direction dir,
                  run_record* out, double* value = nullptr) const;

  const std::string& path() const noexcept { return env_.path(); }

private:
  int64_t now_ms() const;

  lmdb_env env_;
  db_handle meta_, names_, experiments_, runs_, metrics_;
  std::function<int64_t()> clock_;
};

} // namespace lagom::storage
