// connection_fence: the head closes the CAF connection of a node it dropped
// for silence (a partition, a stopped machine).
//
// Why: CAF 0.17 keeps a silent peer's connection until its own
// connection-timeout (the head's is 30 s). A node healed before then
// reconnects as the same CAF node over a second connection, and the head's
// CAF delivered that node's messages with no sender: its join could be
// neither answered nor watched. Closing the old connection when the node is
// dropped makes the reconnect an ordinary first connection.
//
// How: the middleman names the peer's address and port of its direct
// connection to that CAF node; the sockets to that address and port are
// shut down (wire/peer_sockets.hpp) and CAF cleans up as for any lost
// connection. Nothing is done for a peer in this process or where the
// middleman is not loaded.
#pragma once

#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include <spdlog/logger.h>

namespace lagom::actors {

void fence_connection(caf::event_based_actor* self, const caf::actor& peer, std::string who,
                      std::shared_ptr<spdlog::logger> log);

} // namespace lagom::actors
