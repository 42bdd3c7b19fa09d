// launch_record: a training launch as its experiment records it, so that
// `lagom resume NAME` can launch its unfinished runs again. Plain C++ (no
// CAF), beside launch_coordinator, which writes it when it creates the
// experiment and reads it back when asked to resume.
//
// The definition (ExperimentCreate.search, as key=value numbers):
// launch.count (the world size), launch.all, launch.cpus, launch.gpus,
// launch.memory_mb, launch.gang, launch.spread, launch.max_restarts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lagom/cluster.hpp"
#include "lagom/status.hpp"
#include "schemas/experiment.capnp.h"

namespace lagom::actors {

/// What is recorded for a launch of `world` runs.
named_values launch_definition(const launch_options& o, size_t world);

struct recorded_launch {
  std::string function;
  uint32_t world = 0;
  std::vector<container_outcome> outcomes; // by rank: attempts, node, final metrics so far
  std::vector<uint32_t> todo;              // the ranks not finished, ascending
};

/// Reads experiment `name` back. `opts` gets its hyperparameters and
/// resources (count = the world size). invalid_argument naming `name` when
/// it is a search, or was recorded without a launch definition.
status read_recorded_launch(schema::ExperimentInfo::Reader r, const std::string& name,
                            launch_options& opts, recorded_launch& out);

} // namespace lagom::actors
