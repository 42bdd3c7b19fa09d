// Doors: the check an actor reachable from other processes makes before it
// acts on a request (DESIGN.md section 10). A door is cluster_manager, a
// node_manager (the head's launches and stops, its workers' attach port),
// and the head's services (registry, checkpointer, log_aggregator).
//
// Every request a door accepts carries a wire::frame, and the frame proves
// the cluster token (wire/auth.hpp): built in this process, or read from
// another process carrying this process's token (compared in constant time).
// Anything else is refused with errc::unauthorized naming the door, and the
// refusal is logged (warn) with the sender's address.
#pragma once

#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <spdlog/logger.h>

#include "lagom/status.hpp"
#include "supervision/membership.hpp"
#include "wire/frame.hpp"

namespace lagom::actors {

/// ok when `f` proves the cluster token; else unauthorized naming `door`
/// (e.g. "head: launch"), logged to `log` with `sender` (may be null).
status door_check(spdlog::logger& log, const wire::frame& f, const std::string& door,
                  const caf::strong_actor_ptr& sender);

/// The fence (supervision/membership.hpp) on a write: ok when `members` is
/// null (a service with no head beside it, e.g. in a unit test) or admits
/// the frame's epoch; else errc::fenced naming `door`, logged (warn, the
/// first few of each door's refusals) with the sender.
status fence_check(spdlog::logger& log, const supervision::membership* members,
                   const wire::frame& f, const std::string& door,
                   const caf::strong_actor_ptr& sender);

/// An empty frame that proves this process's token: the proof a request
/// without a payload of its own carries (stop, attach, ...).
inline wire::frame proof() { return wire::frame{}; }

} // namespace lagom::actors
