// experiment_frames: conversions between the registry's storage records
// (storage/experiment_records.hpp) and the frames of schemas/experiment.capnp.
//
// The enums of the schema and of storage carry the same pinned numbers. A
// number read from a frame is checked all the same: a peer may send any
// 16-bit value, and an unknown one is invalid_argument naming the field
// ("kind", "status", "direction").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <capnp/blob.h>

#include "lagom/status.hpp"
#include "schemas/experiment.capnp.h"
#include "storage/experiment_records.hpp"
#include "wire/frame.hpp"

namespace lagom {
struct container_outcome;  // lagom/cluster.hpp
}

namespace lagom::actors::frames {

/// A Text field as bytes, embedded NULs kept (so that a name check sees them).
std::string text(capnp::Text::Reader t);

status from_wire(schema::ExperimentKind v, storage::experiment_kind* out);
status from_wire(schema::RunStatus v, storage::run_status* out);
status from_wire(schema::Direction v, storage::direction* out);

schema::ExperimentKind to_wire(storage::experiment_kind v);
schema::RunStatus to_wire(storage::run_status v);
schema::Direction to_wire(storage::direction v);

/// "finished", "failed" or "stopped" (ExperimentEnd.status); where = "status".
status parse_end_status(const std::string& s, storage::experiment_status* out);

void to_wire(schema::RunInfo::Builder b, const storage::run_record& r);

/// One run's change as a driver (launch_coordinator, trial_scheduler) sends
/// it in a RunUpdate. An empty node or error, container 0 and no final
/// metrics leave what is stored; the hyperparameters count only when the
/// run is new; at_ms 0 means when it is stored.
struct run_change {
  uint32_t run = 0;
  storage::run_status status = storage::run_status::queued;
  named_values hyperparameters;
  std::string node;
  uint64_t container = 0;
  std::string error;
  named_values final_metrics;
  int64_t at_ms = 0;
};
void to_wire(schema::RunUpdate::Builder b, uint64_t experiment_id, const run_change& c);
/// Run `run` of a launch moved to `s`: its container's node, id and final
/// values from `o`, the launch's hyperparameters, and `error` (may be empty).
run_change outcome_change(uint32_t run, storage::run_status s, const named_values& params,
                          const container_outcome& o, const std::string& error);
/// The RunUpdate frame of one change.
wire::frame run_update(uint64_t experiment_id, const run_change& c);

/// The MetricReport that stores a TrainReport's metrics.
wire::frame metric_report(schema::TrainReport::Reader r);
/// Fills `b`; the runs list only when `runs` is given.
void to_wire(schema::ExperimentInfo::Builder b, const storage::experiment& e,
             const std::vector<storage::run_record>* runs);

/// An ExperimentInfo frame of `e` (with `runs` when given).
wire::frame info_frame(const storage::experiment& e,
                       const std::vector<storage::run_record>* runs = nullptr);

} // namespace lagom::actors::frames
