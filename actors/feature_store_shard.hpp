// feature_store_shard: one shard of the feature store, owning one LMDB
// environment (storage::feature_store) at DATA/featurestore/shard-K. A thin
// actor: each handler reads its frame, makes one call of the store and
// answers with a frame, unit or an error. The feature_store_router at the
// head places groups on shards; a client talks to the router.
//
// Messages (frames of schemas/feature_store.capnp; a malformed or
// wrong-schema frame gets malformed_frame / wrong_schema naming the schema,
// bad input the store's error naming the group, column or field, and
// nothing is stored):
//   (fs_write, FeatureWrite)          -> FeatureVersion
//       mode create (with schema) makes the group; append, overwrite,
//       upsert make its next version (storage::feature_store::write).
//       With `upload` set, the rows of its `parts` staged parts (below)
//       come first: the version holds them all, or is not made.
//   (fs_part, FeatureWritePart)       -> unit
//       A part of a chunked write, kept in memory (storage/feature_upload.hpp,
//       bounded) until its FeatureWrite; parts idle for a minute are dropped
//       (a client that died mid-upload): nothing of them reaches the store.
//   (fs_read, FeatureRead)            -> FeatureRows
//   (fs_lookup, FeatureLookup)        -> FeatureLookupResult
//       The newest row of each key (online serving).
//   (fs_list, FeatureGroupRequest)    -> FeatureGroupList
//       Empty group: the newest version of every group, sorted by name;
//       else every version of that group, oldest first.
//   (fs_stats, FeatureGroupRequest)   -> FeatureStatistics
//   (fs_drop, FeatureGroupRequest)    -> unit
//   (fs_catalog, FeatureQuery)        -> FeatureCatalog
//       Every group's schema at the version the query names (else newest).
//   (fs_query, FeatureQuery)          -> FeatureRows
//       storage::get_features over this shard's groups.
//   (fs_dataset, TrainingDatasetCreate)  -> TrainingDatasetInfo
//       storage::create_training_dataset over this shard's groups.
//   (fs_dataset, TrainingDatasetRows)    -> TrainingDatasetInfo
//       A query the router ran, stored (create_training_dataset_from_rows).
//   (fs_tdinfo, TrainingDatasetRequest)  -> TrainingDatasetInfo
//   (fs_tdread, TrainingDatasetRequest)  -> TrainingDatasetBatch
//       The rows asked, or (world > 0, no rows) rows offset..offset+count of
//       the epoch's order for rank of world (training_dataset_reader::
//       epoch_rows); total = that rank's rows in the epoch. World 0 and no
//       rows: the split's rows offset..offset+count in stored order (total:
//       the split's rows). The reply's `rows`: the row numbers read. A dataset's
//       readers are kept open (versions never change).
//   (fs_export, TrainingDatasetRequest)  -> ExportedFiles
//       storage::export_training_dataset to `path` on this shard's host.
// Detached (a thread of its own): a write of many rows (statistics, the
// correlation matrix, one LMDB commit with fsync) must not hold a CAF
// scheduler thread. Messages are handled one at a time, in order; reads see
// every write answered before them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "lagom/status.hpp"

namespace lagom::storage {
class feature_store;
}

namespace lagom::actors {

/// Opens (creating) the shard at `dir` and spawns the actor; a directory or
/// environment that cannot be opened is an error naming the path, and
/// nothing is spawned. One open per directory per process (LMDB).
/// `store` (may be null) gets the shard's store, shared with the actor: only
/// its lookup() may be called, from any thread (online_door.hpp); the store
/// closes when the actor and every such holder have let it go.
status spawn_feature_store_shard(caf::actor_system& sys, const std::string& dir,
                                 uint32_t shard, caf::actor& out,
                                 std::shared_ptr<storage::feature_store>* store = nullptr);

} // namespace lagom::actors
