// storage/feature_store: the feature groups of one shard, in one LMDB
// environment (layout version 1; the key layout is at the top of
// feature_records.cpp). What a feature_store_shard actor owns.
//
// A feature group is a name, a typed schema (feature_frame.hpp) and a list of
// immutable versions 1, 2, 3, ... Every write makes the next version (or the
// version asked for, when above the newest) in ONE LMDB transaction: its
// column chunks, its statistics (feature_stats.hpp), the online index and the
// group record commit together, so after a crash or kill -9 a version exists
// whole or not at all. Versions share the chunks they have in common (an
// append stores only the new rows); nothing of an earlier version is ever
// rewritten.
//
// Writes (write_mode):
//  - create: a new group. Fails when the name exists.
//  - append: the newest version's rows, then the new ones. Statistics are the
//    newest version's merged with the new rows' (not recomputed).
//  - overwrite: only the new rows. Statistics of the new rows.
//  - upsert: the newest version's rows, where a row whose key (with event
//    time: key and event time) is among the new rows takes the new values in
//    place, then the new rows with new keys, in their order. Statistics are
//    recomputed (replaced rows cannot be subtracted).
// The key (without event time) or the pair (key, event time) must be unique
// in a version: a duplicate within the rows written, or (append) one already
// stored, is invalid_argument naming the group, the row and the key.
//
// Errors. On any error nothing was stored. Bad input is invalid_argument,
// where naming the group and column or field; an unknown group, version or
// feature is not_found naming it (with candidates when the name is close); an
// existing group or version is invalid_argument naming it. A corrupt record is
// io_error naming it.
//
// Reads see the last commit made before they began (LMDB MVCC).
//
// Threading: one owner calls it (not concurrent), with one exception:
// lookup() (only) may also be called from other threads at the same time as
// the owner's calls, writes included (the head's online door does,
// actors/online_door.hpp). It reads one LMDB snapshot (a read transaction
// of the calling thread) through handles fixed at open(), and touches no
// other member state; LMDB readers never block the writer, and a growing
// map (lmdb_env::update) waits only for such short read transactions to
// end. The store must outlive those calls (share it, e.g. a shared_ptr).
// Open one feature_store per directory per process (an LMDB rule). A write
// computes its statistics on a thread of its own while it encodes the chunks
// (joined before it returns).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "lagom/status.hpp"
#include "storage/feature_frame.hpp"
#include "storage/feature_stats.hpp"
#include "storage/lmdb.hpp"

namespace lagom::storage {

enum class write_mode : uint8_t { create = 1, append = 2, overwrite = 3, upsert = 4 };
const char* to_string(write_mode m) noexcept;

struct feature_store_options {
  /// A 1 GiB map growing by doubling up to 256 GiB (address space, not disk).
  env_options env = {uint64_t{1} << 30, uint64_t{256} << 30, 16};
  /// Milliseconds since the Unix epoch; empty means the system clock (a test seam).
  std::function<int64_t()> clock;
};

struct write_options {
  /// The version to make; 0 makes newest + 1. One at or below the newest is
  /// invalid_argument "version N of G exists".
  uint32_t version = 0;
  std::string description;
  /// At create only, kept for the group's life (like hsfs's statistics
  /// config): whether statistics include the correlation matrix.
  bool correlations = true;
};

struct version_info {
  std::string group;
  uint32_t version = 0;
  write_mode mode = write_mode::create;
  int64_t created_ms = 0;
  uint64_t rows = 0;
  uint64_t rows_written = 0;  ///< rows this write brought
  std::string description;
  feature_schema schema;
  bool correlations = true;  ///< the group's statistics include correlations
};

struct read_options {
  uint32_t version = 0;  ///< 0: the newest
  /// Columns to return, in this order; empty: all, in schema order.
  std::vector<std::string> columns;
  uint64_t offset = 0;  ///< rows skipped first
  uint64_t limit = std::numeric_limits<uint64_t>::max();
  /// With event time: per key the newest row whose event time is <= this
  /// (the group as it was at that time). Without event time: invalid_argument.
  std::optional<int64_t> as_of_event_time;
};

class feature_store {
public:
  /// A store that is not open; every call on it fails with internal.
  feature_store() = default;

  /// Opens (creating if needed) the shard in directory `dir`. A shard written
  /// by another layout version is refused (io_error).
  static status open(const std::string& dir, const feature_store_options& options,
                     feature_store* out);

  /// Creates group `name` with `schema` and `rows` as its version 1 (or
  /// options.version). `rows` must match the schema (check_frame).
  status create(const std::string& name, const feature_schema& schema, const feature_frame& rows,
                const write_options& options = {}, version_info* out = nullptr);
  /// Appends, overwrites or upserts `rows` as a new version of existing group
  /// `name`; `rows` must match its schema. mode create is invalid_argument.
  status write(const std::string& name, write_mode mode, const feature_frame& rows,
               const write_options& options = {}, version_info* out = nullptr);

  /// The names of every group, sorted.
  status groups(std::vector<std::string>* out) const;
  /// Every version of `name`, oldest first.
  status versions(const std::string& name, std::vector<version_info>* out) const;
  /// One version (0: the newest).
  status describe(const std::string& name, uint32_t version, version_info* out) const;
  /// The statistics stored with a version (0: the newest).
  status statistics(const std::string& name, uint32_t version, feature_statistics* out) const;

  /// Rows of a version, in stored order (see read_options).
  status read(const std::string& name, const read_options& options, feature_frame* out) const;

  /// Online lookup: the newest version's row for each key of `keys` (parts in
  /// primary key order; with event time the row of the newest event time).
  /// out gets one row per key (all columns, or `columns`); a key with no row
  /// gives a null row and found[i] = false. A key of the wrong arity or types
  /// is invalid_argument naming it.
  status lookup(const std::string& name, const std::vector<key_value>& keys,
                const std::vector<std::string>& columns, feature_frame* out,
                std::vector<bool>* found) const;

  /// Removes group `name` and every version of it.
  status drop(const std::string& name);

  /// The environment (training datasets live in the same shard).
  lmdb_env& env() noexcept { return env_; }
  const lmdb_env& env() const noexcept { return env_; }
  /// The directory given to open().
  const std::string& dir() const noexcept { return env_.path(); }

private:
  struct dbs {
    db_handle meta, groups, versions, chunks, stats, index;
  };
  int64_t now_ms() const;
  status write_version(const std::string& name, write_mode mode, const feature_schema* schema,
                       const feature_frame& rows, const write_options& options,
                       version_info* out);

  lmdb_env env_;
  dbs db_;
  feature_store_options options_;
};

/// The encoded primary key (with event time when the schema has one) of row
/// `row`: big-endian int64 with the sign bit flipped, strings then 0x00.
std::string encode_row_key(const feature_schema& schema, const feature_frame& frame, size_t row,
                           bool with_event_time);

} // namespace lagom::storage
