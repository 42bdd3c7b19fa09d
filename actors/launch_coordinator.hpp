// launch_coordinator: one per lagom::cluster::launch call, in the caller's
// process. It asks cluster_manager for containers, launches the function in
// each at once (rank i of n), gathers every outcome, then releases the
// containers. It owns the grant: if it dies, cluster_manager reclaims. A gang
// is one job: when one member fails or is lost, the rest are released at once
// (their functions are asked to stop) and the launch ends.
//
// Messages:
//   (atoms::launch) -> unit      starts; answers when every container ended.
//                                The outcomes are written into `report`.
//   (atoms::release, frame ContainerLost)   containers died with a node; the
//                                launches in them fail as container_lost.
// It quits after answering.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "lagom/cluster.hpp"

namespace lagom::actors {

struct launch_report {
  status overall;                         // the grant's fate
  std::vector<container_outcome> outcomes; // one per granted container, by rank
};

caf::actor spawn_launch_coordinator(caf::actor_system& sys, caf::actor cluster_manager,
                                    std::string function, launch_options opts,
                                    std::shared_ptr<launch_report> report);

} // namespace lagom::actors
