// lagom::collective::make_gloo: the Gloo (TCP) backend, for a group whose
// ranks span hosts.
//
// Rendezvous: every rank publishes its TCP address in `store` under
// "<job>.<generation>/" (so a new generation never meets stale keys) and
// connects a full mesh, then passes a barrier (tag 0), so make_gloo returns
// on a rank only once every rank is connected; each wait is bounded by
// rendezvous_timeout (Gloo bounds each step, not the sum: a rank that dies
// mid-rendezvous may cost a peer a few multiples of it). Each collective then
// runs with op_timeout and a tag of its own (a per-communicator counter, the
// same on every rank because every rank calls the same operations in order).
// All-reduce is gloo::allreduce's ring; average is a sum then a scale. A
// small all-reduce (bytes x ranks <= 256 KiB) is instead a direct exchange,
// one message per pair and direction, summed in rank order on every rank.
//
// Failures: Gloo throws (a peer closed the connection, a timeout); every
// exception is caught here and becomes a status naming the operation (and
// the peer rank where Gloo's message names one): timeout when the deadline
// passed, container_lost when a connection broke. The communicator is then
// broken (see communicator.hpp).
// Process-wide effect: make_gloo sets SIGPIPE to ignored where it was at its
// default, so a peer dying mid-send is an error status, not this process's death.
// Threading: one thread per communicator at a time.
#pragma once

#include <memory>
#include <string>

#include "collective/communicator.hpp"
#include "collective/group.hpp"
#include "collective/kv_store.hpp"

namespace lagom::collective {

struct gloo_options {
  /// The address this rank listens on (an interface's IP, or a host name that
  /// resolves to it); peers connect to it. Loopback by default.
  std::string hostname = "127.0.0.1";
};

/// A Gloo communicator, or nullptr with `st` saying why (invalid_argument: a
/// field; timeout: rendezvous; io_error: the transport).
std::unique_ptr<communicator> make_gloo(const group_options& opts, std::shared_ptr<kv_store> store,
                                        status& st, const gloo_options& gopts = {});

} // namespace lagom::collective
