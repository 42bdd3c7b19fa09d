// The head's service actors, spawned together on one data directory:
//   DATA/registry      experiment_registry (LMDB)
//   DATA/checkpoints   checkpointer
//   DATA/logs          log_aggregator
//   DATA/featurestore  feature_store_router over feature_store_shards
//                      (shard-0 .. shard-{feature_store_shards-1})
// `lagom head` and the embedded cluster both use this; cluster_manager hands
// the handles to clients ((atoms::services), see cluster_manager.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "lagom/status.hpp"
#include "supervision/membership.hpp"

namespace lagom::storage {
class feature_store;
}

namespace lagom::actors {

struct service_handles {
  caf::actor registry;
  caf::actor checkpointer;
  caf::actor logs;
  caf::actor feature_store;  ///< the feature_store_router
};

/// Shards of the feature store. Groups are placed by a hash of their name
/// mod this count: changing it strands groups on their old shards.
constexpr uint32_t feature_store_shards = 2;

/// `dir`, or when empty $LAGOM_HOME, or else $HOME/.lagom.
std::string resolve_data_dir(const std::string& dir);

/// Spawns the four services on `data_dir` (created when absent). A registry
/// that cannot be opened is an error naming the path, and nothing is left
/// running.
/// `members` (may be null): the head's membership; the three refuse writes
/// from fenced node epochs (supervision/membership.hpp).
/// `shared_data` (may be empty: `data_dir`): where the checkpointer keeps
/// DATA/checkpoints, a directory every node sees (`--shared-data`): nodes
/// stage checkpoints there and the checkpointer commits them.
/// `stores` (may be null): the feature store shards' stores, for the head's
/// online door (online_door.hpp; lookup() only, from its threads).
status spawn_services(caf::actor_system& sys, const std::string& data_dir,
                      service_handles& out,
                      std::shared_ptr<const supervision::membership> members = nullptr,
                      const std::string& shared_data = "",
                      std::vector<std::shared_ptr<storage::feature_store>>* stores = nullptr);

/// Asks each (non-null) service to quit.
void stop_services(const service_handles& s);

} // namespace lagom::actors
