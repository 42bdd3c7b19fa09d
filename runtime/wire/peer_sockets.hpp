// wire/peer_sockets: this process's TCP connections to one peer, found by
// the peer's address and port among the process's open descriptors.
// Plain C++ (no CAF).
//
// The head uses it to close the connection of a node it dropped for
// silence (actors/connection_fence.hpp): CAF 0.17 offers no call that
// closes a connection by peer, and while that connection stands, a healed
// node's reconnect is a second connection from the same CAF node, whose
// messages the head's CAF delivers with no sender. A socket shut down here
// reads as closed by the peer: CAF cleans up as for any lost connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lagom::wire {

/// Shuts down (both ways) every TCP socket of this process whose peer is
/// addr:port, the address written as inet_ntop writes it (as CAF's
/// middleman and peer_address() do); how many. A descriptor closed and
/// reused by another thread between the look-up and the shutdown is the
/// one race left: only a connection to that same peer address and port
/// could be hit.
size_t shut_down_sockets_to(const std::string& addr, uint16_t port);

} // namespace lagom::wire
