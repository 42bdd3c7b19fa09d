#include "actors/connection_fence.hpp"

#include <chrono>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "wire/peer_sockets.hpp"

namespace lagom::actors {

void fence_connection(caf::event_based_actor* self, const caf::actor& peer, std::string who,
                      std::shared_ptr<spdlog::logger> log) {
  if (!peer || peer.node() == self->node() || !self->system().has_middleman())
    return;
  self->request(self->system().middleman().actor_handle(), std::chrono::seconds(5),
                caf::get_atom::value, peer.node())
    .then(
      [=](const caf::node_id&, const std::string& addr, uint16_t port) {
        if (addr.empty() || port == 0)
          return; // CAF has no connection to it any more
        auto n = wire::shut_down_sockets_to(addr, port);
        log->info("closed {} connection(s) of {} ({}:{})", n, who, addr, port);
      },
      [=](caf::error& e) {
        log->warn("cannot close the connection of {}: {}", who, caf::to_string(e));
      });
}

} // namespace lagom::actors
