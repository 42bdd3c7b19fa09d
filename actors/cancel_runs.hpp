// cancel_runs: the registry's record of a cluster stopped by a signal
// (SIGTERM from scancel or the time limit, SIGINT): every run still queued,
// running or lost of every experiment still running becomes `cancelled`
// with the reason, and each such experiment ends `stopped`.
//
// Used by `lagom head` and an embedded `lagom run` when they are told to
// stop, after their drivers had their chance to record the runs themselves
// (launch_coordinator, atoms::cancel): whatever is left running in the
// registry would otherwise read `running` forever.
//
// A plain function over a scoped actor: call it from a thread that is not a
// CAF actor (a signal thread, main). Each request is bounded by `timeout`.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/fwd.hpp>

#include "lagom/status.hpp"

namespace lagom::actors {

struct cancel_counts {
  uint32_t experiments = 0; // ended `stopped` here
  uint32_t runs = 0;        // moved to `cancelled` here
};

/// Success: every such run and experiment recorded (counts in *out). The
/// first failed request's error otherwise (what was recorded before stays).
status cancel_running(caf::actor_system& sys, const caf::actor& registry,
                      const std::string& reason, std::chrono::milliseconds timeout,
                      cancel_counts* out);

} // namespace lagom::actors
