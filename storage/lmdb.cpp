#include "storage/lmdb.hpp"

#include <lmdb.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

#include "storage/encoding.hpp"

namespace lagom::storage {

// Shared by an environment and its transactions. Transactions hold
// resize_mu shared while open; changing the map size holds it exclusively,
// because LMDB allows mdb_env_set_mapsize only with no transaction open.
struct env_state {
  MDB_env* env = nullptr;
  std::string path;
  env_options options;
  std::shared_mutex resize_mu;

  ~env_state() {
    if (env != nullptr)
      mdb_env_close(env);
  }
};

namespace {

MDB_val to_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

std::string_view from_val(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

std::string where_of(const env_state* env, const db_handle& db, std::string_view key) {
  std::string w = env != nullptr ? env->path : std::string("(closed)");
  w += " [" + db.name + "]";
  if (!key.empty())
    w += " " + printable(key);
  return w;
}

uint64_t current_map_size(const env_state* env) {
  MDB_envinfo info;
  if (env == nullptr || mdb_env_info(env->env, &info) != 0)
    return 0;
  return info.me_mapsize;
}

status lmdb_error(int rc, const env_state* env, const char* what, std::string where) {
  if (rc == MDB_MAP_FULL)
    return status::error(errc::io_error,
                         "LMDB map is full (map size " + std::to_string(current_map_size(env)) +
                           " bytes) during " + what +
                           ": open it with a larger env_options::map_size, or a larger "
                           "max_map_size to let it grow",
                         std::move(where));
  return status::error(errc::io_error, std::string(what) + ": " + mdb_strerror(rc),
                       std::move(where));
}

status not_open(const char* what) {
  return status::error(errc::internal, std::string(what) + " on an environment or "
                                         "transaction that is not open");
}

} // namespace

lmdb_env::lmdb_env() noexcept = default;
lmdb_env::~lmdb_env() = default;
lmdb_env::lmdb_env(lmdb_env&&) noexcept = default;
lmdb_env& lmdb_env::operator=(lmdb_env&&) noexcept = default;

const std::string& lmdb_env::path() const noexcept {
  static const std::string none;
  return state_ ? state_->path : none;
}

status lmdb_env::open(const std::string& dir, const env_options& options, lmdb_env* out) {
  if (dir.empty())
    return status::error(errc::invalid_argument, "must not be empty", "lmdb directory");
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return status::error(errc::io_error, std::string("cannot create directory: ") +
                                           std::strerror(errno), dir);
  auto state = std::make_unique<env_state>();
  state->path = dir;
  state->options = options;
  int rc = mdb_env_create(&state->env);
  if (rc == 0)
    rc = mdb_env_set_mapsize(state->env, options.map_size);
  if (rc == 0)
    rc = mdb_env_set_maxdbs(state->env, options.max_dbs);
  if (rc == 0)
    rc = mdb_env_open(state->env, dir.c_str(), 0, 0644);
  if (rc != 0)
    return lmdb_error(rc, nullptr, "open", dir);
  out->state_ = std::move(state);
  return status::ok();
}

status lmdb_env::open_db(const std::string& name, db_handle* out) {
  write_txn t;
  if (auto st = begin_write(&t); !st)
    return st;
  MDB_dbi dbi = 0;
  if (int rc = mdb_dbi_open(t.txn_, name.c_str(), MDB_CREATE, &dbi); rc != 0)
    return lmdb_error(rc, state_.get(), "open database", where_of(state_.get(), {0, name}, {}));
  if (auto st = t.commit(); !st)
    return st;
  *out = db_handle{dbi, name};
  return status::ok();
}

status lmdb_env::begin_read(read_txn* out) const {
  if (!state_)
    return not_open("begin_read");
  return out->start(state_.get(), MDB_RDONLY);
}

status lmdb_env::begin_write(write_txn* out) {
  if (!state_)
    return not_open("begin_write");
  out->map_full_ = false;
  return out->start(state_.get(), 0);
}

status lmdb_env::update(const std::function<status(write_txn&)>& fn) {
  for (;;) {
    write_txn t;
    status st = begin_write(&t);
    if (!st)
      return st;
    st = fn(t);
    if (st && t.is_active())
      st = t.commit();
    if (st || !t.map_full())
      return st;
    t.abort();
    uint64_t now = map_size();
    uint64_t grown = std::min(state_->options.max_map_size, now * 2);
    if (grown <= now)
      return st;
    if (auto resized = set_map_size(grown); !resized)
      return resized;
  }
}

status lmdb_env::set_map_size(uint64_t bytes) {
  if (!state_)
    return not_open("set_map_size");
  std::unique_lock<std::shared_mutex> exclusive(state_->resize_mu);
  if (int rc = mdb_env_set_mapsize(state_->env, bytes); rc != 0)
    return lmdb_error(rc, state_.get(), "set map size", state_->path);
  return status::ok();
}

uint64_t lmdb_env::map_size() const { return current_map_size(state_.get()); }

txn::txn(txn&& other) noexcept { *this = std::move(other); }

txn& txn::operator=(txn&& other) noexcept {
  if (this != &other) {
    abort();
    txn_ = std::exchange(other.txn_, nullptr);
    env_ = other.env_;
    resize_lock_ = std::move(other.resize_lock_);
  }
  return *this;
}

txn::~txn() { abort(); }

void txn::abort() noexcept {
  if (txn_ != nullptr) {
    mdb_txn_abort(txn_);
    txn_ = nullptr;
  }
  if (resize_lock_.owns_lock())
    resize_lock_.unlock();
}

// Holds the resize lock shared while open. Follows a map grown by another
// process (MDB_MAP_RESIZED) by adopting its size.
status txn::start(env_state* env, unsigned flags) {
  abort();
  env_ = env;
  resize_lock_ = std::shared_lock<std::shared_mutex>(env->resize_mu);
  int rc = mdb_txn_begin(env->env, nullptr, flags, &txn_);
  if (rc == MDB_MAP_RESIZED) {
    resize_lock_.unlock();
    {
      std::unique_lock<std::shared_mutex> exclusive(env->resize_mu);
      mdb_env_set_mapsize(env->env, 0);
    }
    resize_lock_.lock();
    rc = mdb_txn_begin(env->env, nullptr, flags, &txn_);
  }
  if (rc != 0) {
    txn_ = nullptr;
    resize_lock_.unlock();
    return lmdb_error(rc, env, (flags & MDB_RDONLY) ? "begin read" : "begin write", env->path);
  }
  return status::ok();
}

std::string txn::where(const db_handle& db, std::string_view key) const {
  return where_of(env_, db, key);
}

status txn::get(const db_handle& db, std::string_view key, std::string_view* value) const {
  if (txn_ == nullptr)
    return not_open("get");
  MDB_val k = to_val(key), v{0, nullptr};
  int rc = mdb_get(txn_, db.dbi, &k, &v);
  if (rc == MDB_NOTFOUND)
    return status::error(errc::not_found, "no such key", where(db, key));
  if (rc != 0)
    return lmdb_error(rc, env_, "get", where(db, key));
  *value = from_val(v);
  return status::ok();
}

status txn::for_each(const db_handle& db, std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& fn) const {
  cursor c;
  status st = open_cursor(db, &c);
  if (st)
    st = prefix.empty() ? c.first() : c.seek(prefix);
  while (st && c.valid() && c.key().substr(0, prefix.size()) == prefix) {
    if (!fn(c.key(), c.value()))
      break;
    st = c.next();
  }
  return st;
}

status txn::open_cursor(const db_handle& db, cursor* out) const {
  if (txn_ == nullptr)
    return not_open("open_cursor");
  MDB_cursor* raw = nullptr;
  if (int rc = mdb_cursor_open(txn_, db.dbi, &raw); rc != 0)
    return lmdb_error(rc, env_, "open cursor", where(db, {}));
  out->close();
  out->cursor_ = raw;
  out->env_ = env_;
  out->db_ = db;
  out->valid_ = false;
  return status::ok();
}

status write_txn::check(int rc, const db_handle& db, std::string_view key, const char* what) {
  if (rc == 0)
    return status::ok();
  if (rc == MDB_MAP_FULL)
    map_full_ = true;
  return lmdb_error(rc, env_, what, where(db, key));
}

status write_txn::put(const db_handle& db, std::string_view key, std::string_view value) {
  if (txn_ == nullptr)
    return not_open("put");
  auto max_key = static_cast<size_t>(mdb_env_get_maxkeysize(env_->env));
  if (key.empty() || key.size() > max_key)
    return status::error(errc::invalid_argument,
                         "key is " + std::to_string(key.size()) + " bytes; LMDB keys are 1 to " +
                           std::to_string(max_key),
                         where(db, key.substr(0, 64)));
  MDB_val k = to_val(key), v = to_val(value);
  return check(mdb_put(txn_, db.dbi, &k, &v, 0), db, key, "put");
}

status write_txn::reserve(const db_handle& db, std::string_view key, size_t size, char** out) {
  if (txn_ == nullptr)
    return not_open("reserve");
  auto max_key = static_cast<size_t>(mdb_env_get_maxkeysize(env_->env));
  if (key.empty() || key.size() > max_key)
    return status::error(errc::invalid_argument,
                         "key is " + std::to_string(key.size()) + " bytes; LMDB keys are 1 to " +
                           std::to_string(max_key),
                         where(db, key.substr(0, 64)));
  MDB_val k = to_val(key), v{size, nullptr};
  if (auto st = check(mdb_put(txn_, db.dbi, &k, &v, MDB_RESERVE), db, key, "put"); !st)
    return st;
  *out = static_cast<char*>(v.mv_data);
  return status::ok();
}

status write_txn::del(const db_handle& db, std::string_view key) {
  if (txn_ == nullptr)
    return not_open("del");
  MDB_val k = to_val(key);
  int rc = mdb_del(txn_, db.dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND)
    return status::error(errc::not_found, "no such key", where(db, key));
  return check(rc, db, key, "del");
}

status write_txn::commit() {
  if (txn_ == nullptr)
    return not_open("commit");
  int rc = mdb_txn_commit(std::exchange(txn_, nullptr));  // frees the txn either way
  abort();                                                 // releases the resize lock
  if (rc == MDB_MAP_FULL)
    map_full_ = true;
  return rc == 0 ? status::ok() : lmdb_error(rc, env_, "commit", env_->path);
}

cursor::~cursor() { close(); }

cursor::cursor(cursor&& other) noexcept { *this = std::move(other); }

cursor& cursor::operator=(cursor&& other) noexcept {
  if (this != &other) {
    close();
    cursor_ = std::exchange(other.cursor_, nullptr);
    env_ = other.env_;
    db_ = std::move(other.db_);
    valid_ = std::exchange(other.valid_, false);
    key_ = other.key_;
    value_ = other.value_;
  }
  return *this;
}

void cursor::close() noexcept {
  if (cursor_ != nullptr)
    mdb_cursor_close(cursor_);
  cursor_ = nullptr;
  valid_ = false;
}

status cursor::move(int op, std::string_view key) {
  valid_ = false;
  key_ = value_ = {};
  if (cursor_ == nullptr)
    return not_open("cursor");
  MDB_val k = to_val(key), v{0, nullptr};
  int rc = mdb_cursor_get(cursor_, &k, &v, static_cast<MDB_cursor_op>(op));
  if (rc == MDB_NOTFOUND)
    return status::ok();
  if (rc != 0)
    return lmdb_error(rc, env_, "cursor", where_of(env_, db_, key));
  valid_ = true;
  key_ = from_val(k);
  value_ = from_val(v);
  return status::ok();
}

status cursor::seek(std::string_view key) {
  return key.empty() ? first() : move(MDB_SET_RANGE, key);
}
status cursor::first() { return move(MDB_FIRST, {}); }
status cursor::last() { return move(MDB_LAST, {}); }
status cursor::next() { return move(MDB_NEXT, {}); }
status cursor::prev() { return move(MDB_PREV, {}); }

} // namespace lagom::storage
