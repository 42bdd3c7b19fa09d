// checkpointer: durable checkpoints of runs, under DATA/checkpoints/<exp>/<run>/
// (storage::checkpoint_store: write .tmp, fsync, rename, fsync the directory;
// keep the last K; corrupt files detected and passed over).
//
// One per cluster, on the head next to the registry, so that a run restarted
// on another node finds its checkpoints (see the README's map changes).
//
// Messages:
//   (atoms::save, frame CheckpointSave) -> frame CheckpointSaved
//       The checkpoint of `step` (replacing one of the same step), then
//       retention keeps the newest keep_last. A retention failure is logged
//       (warn) and the reply is still CheckpointSaved: the new one is safe.
//       With `staged` set (shared storage, --shared-data) the frame has no
//       payload: a node wrote the file itself, and this commits it
//       (storage::checkpoint_store::commit: verified, renamed, retention)
//       only after the fence check, so a fenced node's file never becomes a
//       checkpoint. Each save logs (info) the payload bytes that crossed the
//       head so far and the commits from shared storage.
//   (atoms::load, frame CheckpointLoad) -> frame CheckpointData
//       The newest checkpoint that checks out. found = false when the run
//       has no complete checkpoint yet (no directory is made for it then);
//       `skipped` names each corrupt or vanished file passed over, with why.
// Errors are replies: a bad experiment name is invalid_argument naming
// "experiment", bad metadata names "metadata", I/O errors name the path; a
// malformed frame is malformed_frame or wrong_schema naming its schema.
//
// Detached (a thread of its own): a save fsyncs and must not hold a CAF
// scheduler thread meanwhile. Messages are handled one at a time, in order.
#pragma once

#include <cstdint>
#include <string>

#include <memory>

#include <caf/fwd.hpp>

#include "supervision/membership.hpp"

namespace lagom::actors {

/// `data_dir` must not be empty; keep_last 0 keeps every checkpoint.
/// `members` (may be null): a save whose frame carries a fenced or unknown
/// node epoch is refused with errc::fenced (actors/door.hpp fence_check).
caf::actor spawn_checkpointer(caf::actor_system& sys, std::string data_dir,
                              uint32_t keep_last = 3,
                              std::shared_ptr<const supervision::membership> members = nullptr);

} // namespace lagom::actors
