// checkpointer: durable checkpoints of runs, under DATA/checkpoints/<exp>/<run>/
// (storage::checkpoint_store: write .tmp, fsync, rename, fsync the directory;
// keep the last K; corrupt files detected and passed over).
//
// One per cluster, on the head next to the registry, so that a run restarted
// on another node finds its checkpoints (see the README's map changes).
//
// Messages:
//   (atoms::save, frame CheckpointSave) -> frame CheckpointSaved
//   (atoms::load, frame CheckpointLoad) -> frame CheckpointData
//       found = false when the run has no complete checkpoint yet.
// Errors (bad names, I/O) are replies naming the path.
#pragma once

#include <cstdint>
#include <string>

#include <caf/fwd.hpp>

namespace lagom::actors {

caf::actor spawn_checkpointer(caf::actor_system& sys, std::string data_dir,
                              uint32_t keep_last = 3);

} // namespace lagom::actors
