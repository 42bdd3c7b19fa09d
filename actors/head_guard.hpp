// head_guard: a driver's bounded wait on a remote head (DESIGN.md section 3:
// "a driver never waits forever: a lost head is an error within a bounded
// time").
//
// A driver (launch_coordinator, trial_scheduler) that runs in a client
// process talks to a head in another. When that head dies (kill -9, a
// crash, a partition) its proxy goes down: at once when the connection
// closes, or when the connection misses its heartbeats for the client's
// connection timeout (middleman.connection-timeout, set by
// lagom::cluster::connect). Requests already in flight to it are never
// answered, so the driver alone would wait forever.
//
// The guard stands between the blocking caller and the driver:
//   (atoms::launch) -> unit
//       Asks `driver` the same and answers with its answer; if `head` goes
//       down first, answers errc::unavailable "the head at <where> is gone
//       (<why>)<hint>" and stops the driver (exit_reason::user_shutdown,
//       which also makes it give back what it holds locally).
//       If the driver ends without answering, answers errc::internal "the
//       driver ended without an answer (<reason>)".
// It quits after answering once. An embedded head (same process) is not
// watched: it cannot be lost without the process.
#pragma once

#include <string>

#include <caf/fwd.hpp>

namespace lagom::actors {

/// `where`: the head's address for the message; `hint`: appended to it
/// (e.g. "; `lagom resume NAME` continues the search once a head runs").
caf::actor spawn_head_guard(caf::actor_system& sys, caf::actor head, caf::actor driver,
                            std::string where, std::string hint);

} // namespace lagom::actors
