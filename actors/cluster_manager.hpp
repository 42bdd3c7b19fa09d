// cluster_manager: one per cluster, on the head.
//
// Owns the node registry and the resource ledger (runtime/scheduling), grants
// containers, forwards launches to the node holding the container, and
// reclaims a node's containers when it dies.
//
// Every request's frame must prove the cluster token (actors/door.hpp):
// else errc::unauthorized naming "head: <verb>", logged. A process that
// proved it once is admitted for the two requests without a frame
// (services, await). Messages (every frame is read with wire limits; a
// malformed or wrong-schema frame gets an error reply naming the problem):
//   (atoms::join, frame NodeRegistration)   -> frame NodeAccepted
//       Refused with errc::unauthorized when the token differs (compared in
//       constant time; logged on both sides), invalid_argument when the name
//       is taken by another process. The same process (host and pid) joining
//       again supersedes its old incarnation, which is dropped and fenced.
//       The answer carries the new incarnation's epoch (membership below).
//       The sender is monitored: its death removes the node at once.
//   (atoms::heartbeat, frame Heartbeat)      -> unit
//       errc::fenced when the heartbeat's node id and epoch are not a live
//       incarnation (dropped: timeout, lost connection; or unknown): the node
//       then kills its containers (orphans) and joins again.
// Membership (supervision/membership.hpp): every accepted join gets an epoch;
// a dropped node's epoch is fenced at once, so the services sharing
// `members` refuse its runs' writes from then on.
//   (atoms::request, frame ContainerRequest) -> frame ContainerGrant
//       Gang or not, pack or spread. Not enough free: queued when asked
//       (the reply comes when granted) else errc::unavailable. Never
//       satisfiable: errc::infeasible with the reason. The sender is the
//       grant's owner; its death releases what it holds.
//   (atoms::release, frame ContainerRelease) -> unit
//       A function still running in a released container is asked to stop
//       (atoms::stop, container id, proof frame) on its node.
//   (atoms::launch, frame FunctionLaunch, caf::actor owner)
//       -> frame FunctionResult | FunctionExit
//       Forwarded to the container's node; `owner` (the experiment's driver)
//       gets the run's reports. If the node dies first the reply
//       is errc::container_lost naming the node and why.
//   (atoms::status, frame StatusRequest)     -> frame ClusterStatus
//   (atoms::await, uint32_t nodes, uint32_t running) -> unit
//       Answers once at least `nodes` nodes are joined and `running`
//       launches are in flight (for hosts and tests that must not poll).
//   (atoms::services) -> (caf::actor registry, caf::actor checkpointer,
//                         caf::actor logs)
//       The cluster's service actors (experiment_registry, checkpointer,
//       log_aggregator), spawned by whoever started this cluster_manager and
//       passed in cluster_options; clients ask once and then talk to them
//       directly (across processes CAF hands out proxies). errc::unavailable
//       when this head was started without them.
//   (atoms::feature_store) -> caf::actor
//       The feature_store_router (feature_store_router.hpp); unavailable
//       when this head was started without one.
//   (atoms::fs_online) -> uint16_t
//       The port of the head's online door (online_door.hpp) on the host
//       the client reached the head at; 0 when the head opened none (an
//       embedded cluster, --tls, --online-listen off): lookups then take
//       the actor path.
//   (atoms::tick) internal: drops nodes silent for longer than the timeout
//       and closes their CAF connections (connection_fence.hpp).
// Owners also receive (atoms::release, frame ContainerLost) when their
// containers die with a node.
#pragma once

#include <cstdint>
#include <string>

#include <memory>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "supervision/membership.hpp"

namespace lagom::actors {

struct cluster_options {
  std::string token;            // nodes must present it to join
  uint32_t heartbeat_ms = 200;  // told to nodes
  uint32_t timeout_ms = 2000;   // a node silent this long is removed
  // The services it hands to clients ((atoms::services)); it does not own
  // them: whoever spawned them stops them.
  caf::actor registry, checkpointer, logs;
  // The head's membership, shared with those services (they refuse writes of
  // fenced epochs). Null: the cluster_manager makes its own.
  std::shared_ptr<supervision::membership> members;
  caf::actor feature_store;
  uint16_t online_port = 0;  // the online door's port; 0: none
};

caf::actor spawn_cluster_manager(caf::actor_system& sys, cluster_options opts);

} // namespace lagom::actors
