// feature_lookup: one online lookup, frame in, frame out. The same call
// serves the feature_store_shard actor ((fs_lookup, FeatureLookup)) and the
// head's online door (online_door.hpp), so that both answer alike: the
// same reply frame, the same errors naming the group, key or column.
//
// Plain C++ over a storage::feature_store (no CAF).
#pragma once

#include <functional>
#include <string>

#include "lagom/status.hpp"
#include "wire/frame.hpp"

namespace lagom::storage {
class feature_store;
}

namespace lagom::actors {

/// The store that holds `group` (a shard's own; the door's pick by group).
using store_of_group = std::function<const storage::feature_store&(const std::string& group)>;

/// Answers FeatureLookup `request` from the store `store` names for its group
/// (storage::feature_store::lookup) with a FeatureLookupResult in *reply;
/// the frame is read once. On error *reply is untouched and the status is
/// the store's (not_found naming the group, invalid_argument naming the
/// key, ...) or the frame's (malformed_frame, wrong_schema).
/// Threading: as feature_store::lookup (any thread, concurrent with the
/// store's owner).
status answer_lookup(const store_of_group& store, const wire::frame& request,
                     wire::frame* reply);

} // namespace lagom::actors
