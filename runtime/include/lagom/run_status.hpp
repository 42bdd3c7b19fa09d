// run_status: where one run (a training run, or one trial of a search)
// stands. The same seven values, in the same order, as the schema's RunStatus
// (schemas/experiment.capnp) and the registry's stored byte: the driver,
// the wire, the table and the API all carry this enum; text only at the
// edges (tables printed, names parsed).
//
//   queued -> running -> finished | stopped_early        (final)
//                     -> failed                          (may be restarted)
//                     -> lost -> (retried) running       (may be restarted)
//                     -> cancelled  (the driver was told to stop: SIGTERM, scancel;
//                                    its checkpoints stay, `lagom resume` may go on)
#pragma once

#include <cstdint>
#include <string>

namespace lagom {

enum class run_status : uint8_t {
  queued = 0,         ///< waiting for a container
  running = 1,        ///< started on a container
  finished = 2,       ///< returned its final metrics (final)
  failed = 3,         ///< threw or exited abnormally; may be restarted
  stopped_early = 4,  ///< stopped by early stopping or the time budget (final)
  lost = 5,           ///< its node or container went away; may be restarted
  cancelled = 6,      ///< stopped because its driver was cancelled (a signal); ended
};

/// "queued", "running", "finished", "failed", "stopped_early", "lost" or "cancelled".
const char* to_string(run_status v) noexcept;
/// The status to_string names `s`; false (and *out untouched) for any other text.
bool run_status_named(const std::string& s, run_status* out) noexcept;
/// A run in a final status never changes status again.
bool is_final(run_status s) noexcept;
/// A run in an ended status has an end time (final, failed, lost or cancelled).
bool has_ended(run_status s) noexcept;

} // namespace lagom
