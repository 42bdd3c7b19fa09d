// storage/lmdb: RAII wrappers over LMDB (environment, transactions, cursors).
//
// Contract:
//  - Every call returns a lagom::status. An LMDB error becomes io_error (or
//    not_found for a missing key) whose message carries mdb_strerror and whose
//    where names "<env path> [<db>] <key>", the key printed with \xNN escapes.
//  - A full map is io_error "LMDB map is full (...)". lmdb_env::update() grows
//    the map (doubling, up to env_options::max_map_size) and retries; with
//    max_map_size <= map_size the error is returned as is.
//  - Read and write transactions are distinct types. A transaction that is
//    destroyed without commit() is aborted: nothing of it is stored. A commit
//    is durable (LMDB syncs on commit), so a crash leaves the last commit.
//  - Bytes returned by get() or a cursor are borrowed from the map: valid
//    until the transaction that returned them ends or writes again.
//
// Ownership and lifetimes (one sentence each):
//  - The lmdb_env must outlive every transaction, cursor and db_handle made
//    from it (moving the lmdb_env is fine: they point at its heap state).
//  - A cursor borrows its transaction: destroy it before the transaction ends.
//
// Threading: LMDB's rules. One write transaction at a time (begin_write waits
// for the writer lock); readers never block and see the last commit made
// before they began (MVCC). A transaction stays on the thread that began it,
// and one thread holds at most one transaction. Growing the map waits until
// every transaction of this process has ended, so never call update() or
// set_map_size() while the calling thread holds a transaction.
// Open one environment per directory per process.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "lagom/status.hpp"

// LMDB's handle types, declared as lmdb.h does, so that this header does not
// pull lmdb.h into every file that includes it.
struct MDB_env;
struct MDB_txn;
struct MDB_cursor;

namespace lagom::storage {

struct env_options {
  /// Initial size of the memory map: the most data the file may hold before
  /// it must grow. Address space only; the file grows as pages are written.
  uint64_t map_size = uint64_t{1} << 30;  // 1 GiB
  /// update() may double the map up to this size on a full map; a value not
  /// above map_size keeps the map fixed.
  uint64_t max_map_size = 0;
  /// How many named databases open_db may create.
  unsigned max_dbs = 16;
};

/// A named database of an environment; a value, valid while the env is.
struct db_handle {
  unsigned dbi = 0;
  std::string name;
};

class txn;
class read_txn;
class write_txn;
class cursor;

/// The state an environment shares with its transactions; defined in lmdb.cpp.
struct env_state;

class lmdb_env {
public:
  /// An environment that is not open; every call on it fails with internal.
  lmdb_env() noexcept;
  ~lmdb_env();
  lmdb_env(lmdb_env&&) noexcept;
  lmdb_env& operator=(lmdb_env&&) noexcept;
  lmdb_env(const lmdb_env&) = delete;
  lmdb_env& operator=(const lmdb_env&) = delete;

  /// Opens (creating if needed) the environment in directory `dir`, which is
  /// created when absent (its parent must exist). On error *out is untouched.
  static status open(const std::string& dir, const env_options& options, lmdb_env* out);

  /// Opens the named database `name`, creating it when absent.
  status open_db(const std::string& name, db_handle* out);

  status begin_read(read_txn* out) const;
  status begin_write(write_txn* out);

  /// Runs `fn` in a write transaction and commits when it returns ok; a
  /// non-ok status aborts and is returned. On a full map the map grows (see
  /// env_options::max_map_size) and `fn` runs again from the start, so it
  /// must have no effect outside the transaction beyond setting its outputs.
  status update(const std::function<status(write_txn&)>& fn);

  /// Sets the map size to `bytes` (rounded up to LMDB's page size; never below
  /// the data already stored). Waits until no transaction of this process is
  /// open.
  status set_map_size(uint64_t bytes);

  /// The current map size in bytes; 0 when not open.
  uint64_t map_size() const;
  bool is_open() const noexcept { return state_ != nullptr; }
  /// The directory given to open(); empty when not open.
  const std::string& path() const noexcept;

private:
  std::unique_ptr<env_state> state_;
};

/// What read and write transactions share: lookups and cursors.
class txn {
public:
  txn(const txn&) = delete;
  txn& operator=(const txn&) = delete;

  /// Looks up `key`. not_found when absent. *value borrows from the map.
  status get(const db_handle& db, std::string_view key, std::string_view* value) const;

  /// Calls fn(key, value) for each key starting with `prefix`, in key order,
  /// until fn returns false. An empty prefix walks the whole database.
  status for_each(const db_handle& db, std::string_view prefix,
                  const std::function<bool(std::string_view key, std::string_view value)>& fn)
    const;

  /// Opens a cursor over `db` (see class cursor for its lifetime).
  status open_cursor(const db_handle& db, cursor* out) const;

  /// Whether the transaction is open (begun, not yet committed or aborted).
  bool is_active() const noexcept { return txn_ != nullptr; }

  /// Where errors of this transaction point: "<path> [<db>] <key>".
  std::string where(const db_handle& db, std::string_view key) const;

protected:
  txn() noexcept = default;
  txn(txn&& other) noexcept;
  txn& operator=(txn&& other) noexcept;
  ~txn();
  /// Ends the transaction held, then begins one on `env` with LMDB `flags`.
  status start(env_state* env, unsigned flags);
  void abort() noexcept;

  friend class lmdb_env;
  MDB_txn* txn_ = nullptr;
  env_state* env_ = nullptr;
  std::shared_lock<std::shared_mutex> resize_lock_;  // held while open
};

/// A snapshot of the last commit made before it began.
class read_txn : public txn {
public:
  read_txn() noexcept = default;
  read_txn(read_txn&&) noexcept = default;
  read_txn& operator=(read_txn&&) noexcept = default;
  ~read_txn() = default;
  /// Ends the snapshot now (the destructor would too).
  void end() noexcept { abort(); }
};

class write_txn : public txn {
public:
  write_txn() noexcept = default;
  write_txn(write_txn&&) noexcept = default;
  write_txn& operator=(write_txn&&) noexcept = default;
  ~write_txn() = default;

  /// Stores `value` under `key`, replacing an earlier value. A key is 1 to
  /// 511 bytes (LMDB's limit); anything else is invalid_argument.
  status put(const db_handle& db, std::string_view key, std::string_view value);
  /// Stores a value of `size` bytes under `key` and points *out at them, for
  /// the caller to fill in place (LMDB's MDB_RESERVE: no copy). *out is valid
  /// until the next write of this transaction or its end; the bytes are
  /// undefined until filled. Keys as put().
  status reserve(const db_handle& db, std::string_view key, size_t size, char** out);
  /// Removes `key`; not_found when it was absent.
  status del(const db_handle& db, std::string_view key);
  /// Makes every change durable and ends the transaction, whatever the result.
  status commit();
  /// Drops every change and ends the transaction.
  void abort() noexcept { txn::abort(); }
  /// Whether an operation of this transaction failed because the map is full.
  bool map_full() const noexcept { return map_full_; }

private:
  friend class lmdb_env;
  status check(int rc, const db_handle& db, std::string_view key, const char* what);
  bool map_full_ = false;
};

/// A position in a database, in key order. After any move, valid() says
/// whether it rests on an entry; moving past either end is not an error.
class cursor {
public:
  cursor() noexcept = default;
  ~cursor();
  cursor(cursor&& other) noexcept;
  cursor& operator=(cursor&& other) noexcept;
  cursor(const cursor&) = delete;
  cursor& operator=(const cursor&) = delete;

  /// Moves to the first entry whose key is >= `key`.
  status seek(std::string_view key);
  status first();
  status last();
  status next();
  status prev();

  bool valid() const noexcept { return valid_; }
  /// The entry's key and value, borrowed from the map; empty when !valid().
  std::string_view key() const noexcept { return key_; }
  std::string_view value() const noexcept { return value_; }

private:
  friend class txn;
  status move(int op, std::string_view key);
  void close() noexcept;

  MDB_cursor* cursor_ = nullptr;
  const env_state* env_ = nullptr;
  db_handle db_;
  bool valid_ = false;
  std::string_view key_;
  std::string_view value_;
};

} // namespace lagom::storage
