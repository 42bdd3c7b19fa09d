// storage/metric_series: the metric series of runs, as entries of one LMDB
// database (the registry's "metrics" db). Layout version 1:
//
//   key    u64 experiment id | u32 run | metric key bytes | 0x00 | u64 step
//   value  metric point record (experiment_records.hpp)
//
// Integers are big-endian, so a series is one key range in step order; the
// 0x00 after the metric key (names hold no control characters) keeps "loss"
// and "loss2" apart, and id|run|key|0x01 is just past the whole series.
//
// These functions work inside a caller's transaction and check nothing about
// the experiment or run: experiment_table does that first. A point whose key
// or value is malformed is io_error "corrupt record" naming `where`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lagom/status.hpp"
#include "storage/experiment_records.hpp"
#include "storage/lmdb.hpp"

namespace lagom::storage::metric_series {

/// id|run|key|0x00: the prefix of every point of one series. With `end`,
/// id|run|key|0x01: the first key past the series.
std::string prefix(uint64_t id, uint32_t run, std::string_view key, bool end = false);

/// Stores point `p` (its step in the key), replacing a point at the same step.
status put(write_txn& t, const db_handle& db, uint64_t id, uint32_t run, std::string_view key,
           const metric_point& p);

/// Appends the series to *out, by step.
status read(const txn& t, const db_handle& db, uint64_t id, uint32_t run, std::string_view key,
            const std::string& where, std::vector<metric_point>* out);

/// The point with the highest step; *found is false when the series is empty.
status last(const txn& t, const db_handle& db, uint64_t id, uint32_t run, std::string_view key,
            const std::string& where, metric_point* out, bool* found);

/// Appends the run's metric keys to *out, sorted bytewise. One seek per key,
/// however long its series.
status keys(const txn& t, const db_handle& db, uint64_t id, uint32_t run,
            std::vector<std::string>* out);

} // namespace lagom::storage::metric_series
