// feature_store_router: the feature store's face at the head. It places each
// feature group on one of its feature_store_shard actors by a stable hash of
// the group's name (shard_of_group: FNV-1a 64 of the name, mod the shard
// count, so a group stays on its shard across restarts as long as the
// count stays), and answers every verb of the shard (see
// feature_store_shard.hpp) for the whole store:
//   fs_write, fs_part, fs_read, fs_lookup, fs_stats, fs_drop, and fs_list of one
//       group: delegated to the group's shard (the shard's reply goes
//       straight to the client).
//   (fs_list, FeatureGroupRequest with an empty group) -> FeatureGroupList
//       Every shard's groups, merged and sorted by name.
//   (fs_catalog, FeatureQuery) -> FeatureCatalog   every shard's, merged.
//   (fs_query, FeatureQuery)   -> FeatureRows
//       get_features across shards: the catalogs of every shard are merged
//       and planned (storage::plan_features), each group's shard reads its
//       rows, and the router joins them (storage::join_features). Errors
//       name the feature or group as storage does.
//   (fs_dataset, TrainingDatasetCreate) -> TrainingDatasetInfo
//       create_training_dataset across shards: every group's newest version
//       is pinned (unless the query names one), the query planned, read and
//       joined as fs_query, and the rows stored by the shard the dataset's
//       name hashes to (storage::create_training_dataset_from_rows).
//   fs_tdinfo, fs_tdread, fs_export (TrainingDatasetRequest): delegated to
//       the dataset's shard.
// A malformed frame gets malformed_frame / wrong_schema naming the schema;
// a shard that does not answer within 60 s fails the request (timeout).
// The router links to its shards: when it quits they quit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/fwd.hpp>

#include "lagom/status.hpp"

namespace lagom::storage {
class feature_store;
}

namespace lagom::actors {

/// The shard (0 .. shards-1) that holds group `name`.
uint32_t shard_of_group(std::string_view name, uint32_t shards) noexcept;

/// Spawns a router over `shards` (non-empty, index = shard number).
caf::actor spawn_feature_store_router(caf::actor_system& sys, std::vector<caf::actor> shards);

/// Opens `shards` shards at DIR/shard-0 .. DIR/shard-{n-1} and their router.
/// A shard that cannot be opened is an error naming its path, and nothing
/// is left running. `stores` (may be null) gets each shard's store, index =
/// shard number (see spawn_feature_store_shard: for lookup() only).
status spawn_feature_store(caf::actor_system& sys, const std::string& dir, uint32_t shards,
                           caf::actor& router,
                           std::vector<std::shared_ptr<storage::feature_store>>* stores = nullptr);

} // namespace lagom::actors
