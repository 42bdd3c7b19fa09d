// launch_coordinator: the driver of one launch (one experiment), in the
// caller's process. It records the experiment and its runs (one per rank) in
// the registry, asks cluster_manager for containers, launches the function
// in each (rank i of n), answers the runs' reports (passing them to the
// caller's progress callback), restarts a run whose container was lost, and
// releases the containers at the end. It owns the grant: if it dies,
// cluster_manager reclaims.
//
//   start -> services? -> create experiment -> request containers -> launch runs
//   run ok -> finished | threw -> failed | lost -> (policy) new container, attempt+1
//   all runs ended -> release containers, end experiment, answer
//
// A gang is one job: when a member fails or is lost, the rest are released
// at once (their functions are asked to stop) and the launch ends; gangs are
// not restarted run by run. A missing registry (a head without one) is
// logged and the launch goes on unrecorded.
//
// Messages:
//   (atoms::launch) -> unit            starts; answers when every run ended.
//   (atoms::report, frame TrainReport) -> frame TrainDecision
//   (atoms::restart, uint64_t rank)    internal: a lost run's backoff ended
//   (atoms::release, frame ContainerLost)  containers died with a node
// It quits after answering.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "lagom/cluster.hpp"

namespace lagom::actors {

struct launch_report {
  status overall;                          // the grant's fate
  std::string experiment;                  // its name in the registry
  std::vector<container_outcome> outcomes; // one per run, by rank
};

caf::actor spawn_launch_coordinator(caf::actor_system& sys, caf::actor cluster_manager,
                                    std::string function, launch_options opts,
                                    std::shared_ptr<launch_report> report);

} // namespace lagom::actors
