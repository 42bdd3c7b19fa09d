// storage/feature_records: the records and helpers the feature store's
// writes (feature_store.cpp) and reads (feature_store_read.cpp) share. The
// key layout is at the top of feature_records.cpp. Internal to those files:
// not an API (the feature_store class is).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lagom/status.hpp"
#include "storage/encoding.hpp"
#include "storage/feature_frame.hpp"
#include "storage/feature_store.hpp"
#include "storage/lmdb.hpp"

namespace lagom::storage::records {

constexpr uint32_t layout_version = 1;

struct chunk_ref {
  uint64_t id = 0;
  uint32_t rows = 0;
};

struct group_record {
  uint32_t newest = 0;
  uint64_t next_chunk = 1;
  bool correlations = true;
  feature_schema schema;
};

struct version_record {
  version_info info;
  std::vector<chunk_ref> chunks;
};

/// Key prefixes: the group name then 0x00; then a version; then a chunk and column.
std::string gkey(const std::string& name);
std::string version_key(const std::string& name, uint32_t v);
std::string chunk_key(const std::string& name, uint64_t id, uint32_t col);

std::string encode(const group_record& g);
std::string encode(const version_record& v);

/// io_error "corrupt <what> record" at `where`.
status corrupt(const std::string& what, const std::string& where);
status not_open();

/// Loads group `name`; not_found naming it (and a close name) when absent.
status load_group(const txn& t, const db_handle& groups, const std::string& name,
                  group_record* g);
/// Loads `version` (0: the newest) of group `g`; not_found naming it when absent.
status load_version(const txn& t, const db_handle& versions, const std::string& name,
                    const group_record& g, uint32_t version, version_record* v);

void put_key_part(byte_writer& w, const key_part& p);
/// A key as a user reads it: "(1, 'a')".
std::string key_text(const key_value& k);
key_value row_key_value(const feature_schema& s, const feature_frame& f, size_t row);

/// Rows offset .. offset+limit of `v`, columns `cols` (indices into the schema).
status read_rows(const txn& t, const db_handle& chunks, const std::string& name,
                 const version_record& v, const std::vector<int>& cols, uint64_t offset,
                 uint64_t limit, feature_frame* out);
/// Column indices of `wanted` (all when empty); not_found naming an unknown one.
status resolve_columns(const std::string& name, const feature_schema& s,
                       const std::vector<std::string>& wanted, std::vector<int>* cols);
/// Deletes every index entry of group `name` (overwrite, upsert).
status clear_index(write_txn& t, const db_handle& index, const std::string& name);

} // namespace lagom::storage::records
