// Frames of schemas/feature_store.capnp for the feature store actor tests:
// requests built from storage values, replies read back into them.
#pragma once

#include <string>
#include <vector>

#include "actors/feature_frames.hpp"
#include "schemas/feature_store.capnp.h"
#include "wire/read.hpp"

namespace lagom::test {

inline wire::frame write_frame(const std::string& group, storage::write_mode mode,
                               const storage::feature_frame& rows,
                               const storage::feature_schema* schema = nullptr) {
  return wire::build<schema::FeatureWrite>([&](schema::FeatureWrite::Builder b) {
    b.setGroup(group);
    b.setMode(static_cast<uint8_t>(mode));
    if (schema != nullptr)
      actors::frames::to_wire(b.initSchema(), *schema);
    actors::frames::to_wire(b.initRows(), rows);
  });
}

inline wire::frame read_frame(const std::string& group, uint32_t version = 0,
                              uint64_t limit = ~uint64_t{0}) {
  return wire::build<schema::FeatureRead>([&](schema::FeatureRead::Builder b) {
    b.setGroup(group);
    b.setVersion(version);
    b.setLimit(limit);
  });
}

inline wire::frame group_frame(const std::string& group, uint32_t version = 0) {
  return wire::build<schema::FeatureGroupRequest>([&](schema::FeatureGroupRequest::Builder b) {
    b.setGroup(group);
    b.setVersion(version);
  });
}

inline wire::frame lookup_frame(const std::string& group,
                                const std::vector<storage::key_value>& keys) {
  return wire::build<schema::FeatureLookup>([&](schema::FeatureLookup::Builder b) {
    b.setGroup(group);
    auto ks = b.initKeys(static_cast<unsigned>(keys.size()));
    for (unsigned i = 0; i < keys.size(); ++i)
      actors::frames::to_wire(ks[i], keys[i]);
  });
}

inline wire::frame query_frame(const storage::feature_query& q) {
  return wire::build<schema::FeatureQuery>([&](schema::FeatureQuery::Builder b) {
    actors::frames::to_wire(b, q);
  });
}

inline status rows_of(const wire::frame& f, storage::feature_frame* out) {
  return wire::read<schema::FeatureRows>(f, [&](schema::FeatureRows::Reader r) {
    return actors::frames::from_wire(r, out);
  });
}

inline status version_of(const wire::frame& f, storage::version_info* out) {
  return wire::read<schema::FeatureVersion>(f, [&](schema::FeatureVersion::Reader r) {
    return actors::frames::from_wire(r, out);
  });
}

/// The groups of a FeatureGroupList, with their shard.
inline status list_of(const wire::frame& f, std::vector<std::pair<std::string, uint32_t>>* out) {
  return wire::read<schema::FeatureGroupList>(f, [&](schema::FeatureGroupList::Reader r) {
    out->clear();
    for (auto g : r.getGroups())
      out->emplace_back(g.getGroup().cStr(), g.getShard());
    return status::ok();
  });
}

inline status lookup_of(const wire::frame& f, storage::feature_frame* rows,
                        std::vector<bool>* found) {
  return wire::read<schema::FeatureLookupResult>(f, [&](schema::FeatureLookupResult::Reader r) {
    found->clear();
    for (bool b : r.getFound())
      found->push_back(b);
    return actors::frames::from_wire(r.getRows(), rows);
  });
}

} // namespace lagom::test
