// actors::supervisor: starts a list of children, monitors them and restarts
// them according to a supervision::restart_policy (see restart_policy.hpp for
// one_for_one / one_for_all, the sliding window and the backoff).
//
// Messages accepted:
//  - (caf::get_atom, std::string name) -> caf::actor
//      The child's current handle. Errors (lagom category, see wire/errors.hpp):
//      not_found naming the child when no such child exists (never started,
//      or exited normally and was removed); unavailable while the child waits
//      for its restart.
//  - (atoms::restart, uint64_t id)
//      Internal: the backoff timer of restart `id`, sent to itself with
//      delayed_send. Others must not send it.
//  - caf::down_msg from the children it monitors.
//
// Life of one child:
//
//          start()                    abnormal exit (or start() gave no actor)
//   (new) --------> running ------------------------------------> waiting
//                    |  ^                                           |
//                    |  +-- backoff passed, stopped siblings down --+
//                    |
//                    +-- exit_reason::normal --> removed (not restarted)
//
// Failure semantics:
//  - Children start in the order given, each by its child_spec::start on the
//    supervisor's thread. If an initial start returns no actor or throws, the
//    supervisor quits with function_failed before running (children already
//    started are stopped); two children with one name: invalid_argument.
//  - one_for_one: only the failed child restarts. one_for_all: the running
//    siblings get exit_reason::user_shutdown; their down messages are
//    expected and do not count as failures; all restart in start order.
//  - A restart happens after the policy's backoff AND after every sibling
//    stopped for it is down; a sibling still alive when the backoff ends gets
//    exit_reason::kill. The supervisor never sleeps: the timer is a message.
//  - A child that exits with a lagom error of code invalid_argument or
//    unauthorized is not restarted (retrying cannot fix bad input or a wrong
//    token): the supervisor stops the others and quits with that same reason.
//  - When the policy gives up, the supervisor logs it, stops its children and
//    quits with a function_failed error naming the child and the count; its
//    monitor or link parent sees that (escalation).
//  - When the supervisor exits for any reason (an exit message, kill, giving
//    up), every running child gets exit_reason::user_shutdown and nothing
//    more: a child that traps exits must quit on it, or it outlives its
//    supervisor.
//
// Where it runs: an ordinary event-based actor on CAF's scheduler; the start
// functions run there too, so they must only spawn, never block.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "supervision/restart_policy.hpp"

namespace lagom::actors {

struct child_spec {
  std::string name;                                     // unique among siblings
  std::function<caf::actor(caf::actor_system&)> start;  // spawns the child, returns its handle
};

/// Spawns a supervisor that starts `children` in order, monitors them and restarts per `opts`.
caf::actor spawn_supervisor(caf::actor_system& sys, std::string name,
                            supervision::restart_options opts, std::vector<child_spec> children);

} // namespace lagom::actors
