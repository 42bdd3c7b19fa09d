// storage/feature_query: get_features, features from several groups of one
// shard joined on their shared primary key.
//
// Resolving names. A feature is named "feature" or "group.feature". A bare
// name is looked up among the non-key columns of every group's newest version
// (or the version given in feature_query::versions): found in one group, it is
// that group's; in none, not_found naming it (and a close name); in several,
// invalid_argument naming the candidates ("a.x, b.x"). A name that is a key
// or event-time column is taken as the join key (it is in the output anyway).
//
// Joining. The base group is the group of the first feature (or
// feature_query::base when set): its rows, in stored order, give the output
// rows, at most one each (no row is ever duplicated). Every other group must
// have the same primary key columns (names and types) as the base; otherwise
// invalid_argument naming both groups. Output columns: the key columns, the
// base's event time when the join is point in time, then the features in the
// order asked. Two features of one name (a.x and b.x), or one named like a
// key column, are invalid_argument: the result's columns have distinct names.
//  - Point in time, when every group involved has an event time: for a base
//    row (key, t), a group's row with the same key and the newest event time
//    not after t (never a later one: no leakage). Key and event time are
//    unique in a group, so there is no tie.
//  - Otherwise by key alone: for a group with event time, the row of the
//    key's newest event time; without, the key's one row.
//  - inner (default) keeps only base rows that found a row in every group;
//    left keeps every base row, with nulls where a group had none.
//
// Threading: reads through the store (see feature_store.hpp).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lagom/status.hpp"
#include "storage/feature_frame.hpp"
#include "storage/feature_store.hpp"

namespace lagom::storage {

enum class join_kind : uint8_t { inner = 1, left = 2 };

struct feature_query {
  std::vector<std::string> features;
  join_kind join = join_kind::inner;
  /// The group whose rows drive the join; empty: the first feature's group.
  std::string base;
  /// Versions to read, by group; a group not named reads its newest.
  std::map<std::string, uint32_t> versions;
};

/// What a query resolved to: per feature, its group (for messages and for
/// training dataset records).
struct resolved_feature {
  std::string group;
  std::string feature;
  bool is_key = false;
};

/// Resolves every name of `q.features` (see above) without reading rows.
status resolve_features(const feature_store& fs, const feature_query& q,
                        std::vector<resolved_feature>* out);

/// Runs the query; `out` gets the joined rows.
status get_features(const feature_store& fs, const feature_query& q, feature_frame* out);

// The same query in three steps, for groups spread over several stores
// (the feature_store_router gathers a catalog from every shard, plans, asks
// each group's shard for its rows, then joins):
//   catalog -> plan_features -> one read per plan group -> join_features.

/// Every group's schema at the version the query names (else its newest).
using feature_catalog = std::map<std::string, feature_schema>;
status feature_catalog_of(const feature_store& fs, const feature_query& q,
                          feature_catalog* out);
status resolve_features(const feature_catalog& cat, const feature_query& q,
                        std::vector<resolved_feature>* out);

/// What to read of each group (base first) and how to join.
struct feature_plan {
  struct group_read {
    std::string name;
    feature_schema schema;
    std::vector<std::string> features;  ///< the non-key features asked of it
    read_options read;                  ///< version and columns (key, event time, features)
  };
  std::vector<resolved_feature> features;
  std::vector<group_read> groups;
  bool point_in_time = false;
  join_kind join = join_kind::inner;
};
status plan_features(const feature_catalog& cat, const feature_query& q, feature_plan* out);
/// Joins frames[i] = the rows plan.groups[i].read gave (columns in that
/// order; otherwise invalid_argument naming the group).
status join_features(const feature_plan& plan, std::vector<feature_frame> frames,
                     feature_frame* out);

} // namespace lagom::storage
