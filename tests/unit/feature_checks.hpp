// Helpers for the feature store tests: columns from literals, and a byte for
// byte dump of every database of a shard (to show a failed write changed
// nothing).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "storage/feature_store.hpp"

namespace lagom::test {

inline storage::feature_column i64_col(std::string name, std::vector<int64_t> v) {
  storage::feature_column c;
  c.spec = {std::move(name), storage::feature_type::int64, 1};
  c.i64 = std::move(v);
  return c;
}

inline storage::feature_column f64_col(std::string name, std::vector<double> v) {
  storage::feature_column c;
  c.spec = {std::move(name), storage::feature_type::float64, 1};
  c.f64 = std::move(v);
  return c;
}

inline storage::feature_column f32_col(std::string name, std::vector<float> v) {
  storage::feature_column c;
  c.spec = {std::move(name), storage::feature_type::float32, 1};
  c.f32 = std::move(v);
  return c;
}

inline storage::feature_column str_col(std::string name, std::vector<std::string> v) {
  storage::feature_column c;
  c.spec = {std::move(name), storage::feature_type::string, 1};
  c.str = std::move(v);
  return c;
}

inline storage::feature_column u8v_col(std::string name, uint32_t width, std::vector<uint8_t> v) {
  storage::feature_column c;
  c.spec = {std::move(name), storage::feature_type::u8_vector, width};
  c.u8 = std::move(v);
  return c;
}

inline storage::feature_schema schema_of(const storage::feature_frame& f,
                                         std::vector<std::string> key,
                                         std::string event_time = {}) {
  storage::feature_schema s;
  s.columns = f.specs();
  s.primary_key = std::move(key);
  s.event_time = std::move(event_time);
  return s;
}

/// Every key and value of every database of the shard, as "db|key" -> value.
inline std::map<std::string, std::string> dump(storage::feature_store& fs) {
  std::map<std::string, std::string> out;
  for (const char* name : {"meta", "groups", "versions", "chunks", "stats", "index", "datasets",
                           "dataset_chunks"}) {
    storage::db_handle db;
    if (!fs.env().open_db(name, &db))
      continue;
    storage::read_txn t;
    if (!fs.env().begin_read(&t))
      continue;
    t.for_each(db, {}, [&](std::string_view k, std::string_view v) {
      out[std::string(name) + "|" + std::string(k)] = std::string(v);
      return true;
    });
  }
  return out;
}

} // namespace lagom::test
