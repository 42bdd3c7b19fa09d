// What the two experiment drivers in a caller's process (launch_coordinator
// for a launch, trial_scheduler for a search) both say to cluster_manager,
// and how both name an experiment the caller left unnamed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lagom/status.hpp"
#include "scheduling/ledger.hpp"
#include "wire/frame.hpp"

namespace lagom::actors {

/// A ContainerRelease of `ids`.
wire::frame release_frame(const std::vector<uint64_t>& ids);

/// Appends the containers of a ContainerGrant frame to `out`.
status read_grant(const wire::frame& grant, std::vector<scheduling::container>& out);

/// "<stem>-YYYYmmdd-HHMMSS" in local time, "-2", "-3", ... after it for
/// attempt 1, 2, ... (a name taken within the same second).
std::string default_experiment_name(const std::string& stem, int attempt);

} // namespace lagom::actors
