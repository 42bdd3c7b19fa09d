// Key layout, version 1. One LMDB environment per shard, named databases
// below. G is a group name followed by 0x00 (names are [A-Za-z0-9_], so no
// name's key is a prefix of another's); integers big-endian (encoding.hpp).
//
//   db        key                          value
//   meta      "layout_version"             u32 1
//   groups    group name                   group record: u8 1 | u32 newest version
//                                          | u64 next chunk id | u8 flags | schema
//                                          (flags bit 0: no correlations)
//   versions  G | u32 version              version record: u8 1 | u8 write_mode
//                                          | i64 created ms | u64 rows
//                                          | u64 rows written | str description
//                                          | u32 n | n x (u64 chunk id, u32 rows)
//   chunks    G | u64 chunk id | u32 col   column chunk (feature_chunk.hpp)
//   stats     G | u32 version              statistics record (feature_stats.hpp)
//   index     G | row key                  u64 chunk id | u32 row in chunk
//
// schema: u32 columns | per column: str name, u8 type, u32 width
//         | u32 keys | key names as str | str event time ("" for none)
//
// The row key is encode_row_key(with event time): so with event time one
// key's rows are one key range in event-time order and the newest is its
// last entry. The index covers the newest version only; chunks, versions and
// statistics of every version stay as written.
#include "storage/feature_store.hpp"

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <unordered_set>

#include "core/suggest.hpp"
#include "storage/encoding.hpp"
#include "storage/feature_chunk.hpp"

namespace lagom::storage {

namespace {

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

std::string gkey(const std::string& name) {
  byte_writer w;
  w.key_name(name);
  return w.take();
}

std::string version_key(const std::string& name, uint32_t v) { return gkey(name) + be32(v); }

std::string chunk_key(const std::string& name, uint64_t id, uint32_t col) {
  return gkey(name) + be64(id) + be32(col);
}

void put_schema(byte_writer& w, const feature_schema& s) {
  w.u32(static_cast<uint32_t>(s.columns.size()));
  for (const auto& c : s.columns) {
    w.str(c.name);
    w.u8(static_cast<uint8_t>(c.type));
    w.u32(c.width);
  }
  w.u32(static_cast<uint32_t>(s.primary_key.size()));
  for (const auto& k : s.primary_key)
    w.str(k);
  w.str(s.event_time);
}

bool get_schema(byte_reader& r, feature_schema* s) {
  uint32_t n = r.u32();
  if (n > r.remaining())
    return false;
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    feature_spec c;
    c.name = r.str();
    c.type = static_cast<feature_type>(r.u8());
    c.width = r.u32();
    s->columns.push_back(std::move(c));
  }
  uint32_t k = r.u32();
  if (k > r.remaining())
    return false;
  for (uint32_t i = 0; i < k && r.ok(); ++i)
    s->primary_key.push_back(r.str());
  s->event_time = r.str();
  return r.ok() && check_schema(*s).is_ok();
}

std::string encode(const group_record& g) {
  byte_writer w;
  w.u8(1);
  w.u32(g.newest);
  w.u64(g.next_chunk);
  w.u8(g.correlations ? 0 : 1);
  put_schema(w, g.schema);
  return w.take();
}

std::string encode(const version_record& v) {
  byte_writer w;
  w.u8(1);
  w.u8(static_cast<uint8_t>(v.info.mode));
  w.i64(v.info.created_ms);
  w.u64(v.info.rows);
  w.u64(v.info.rows_written);
  w.str(v.info.description);
  w.u32(static_cast<uint32_t>(v.chunks.size()));
  for (const auto& c : v.chunks) {
    w.u64(c.id);
    w.u32(c.rows);
  }
  return w.take();
}

status corrupt(const std::string& what, const std::string& where) {
  return status::error(errc::io_error, "corrupt " + what + " record", where);
}

status not_open() { return status::error(errc::internal, "feature store is not open"); }

// Loads group `name`; not_found naming it (and a close name) when absent.
status load_group(const txn& t, const db_handle& groups, const std::string& name,
                  group_record* g) {
  std::string_view bytes;
  status st = t.get(groups, name, &bytes);
  if (st.code() == errc::not_found) {
    std::vector<std::string> names;
    t.for_each(groups, {}, [&](std::string_view k, std::string_view) {
      names.emplace_back(k);
      return true;
    });
    std::string near = suggest(name, names);
    return status::error(errc::not_found,
                         "no such feature group" + (near.empty() ? "" : "; did you mean '" +
                                                                          near + "'?"),
                         name);
  }
  if (!st)
    return st;
  byte_reader r(bytes);
  *g = {};
  bool ok = r.u8() == 1;
  g->newest = r.u32();
  g->next_chunk = r.u64();
  g->correlations = (r.u8() & 1) == 0;
  if (!ok || !get_schema(r, &g->schema) || !r.done())
    return corrupt("feature group", name);
  return status::ok();
}

status load_version(const txn& t, const db_handle& versions, const std::string& name,
                    const group_record& g, uint32_t version, version_record* v) {
  if (version == 0)
    version = g.newest;
  std::string where = name + " version " + std::to_string(version);
  std::string_view bytes;
  status st = t.get(versions, version_key(name, version), &bytes);
  if (st.code() == errc::not_found)
    return status::error(errc::not_found,
                         "no such version (the newest is " + std::to_string(g.newest) + ")",
                         where);
  if (!st)
    return st;
  byte_reader r(bytes);
  *v = {};
  bool ok = r.u8() == 1;
  v->info.group = name;
  v->info.version = version;
  v->info.mode = static_cast<write_mode>(r.u8());
  v->info.created_ms = r.i64();
  v->info.rows = r.u64();
  v->info.rows_written = r.u64();
  v->info.description = r.str();
  v->info.schema = g.schema;
  v->info.correlations = g.correlations;
  uint32_t n = r.u32();
  ok = ok && n <= r.remaining() / 12;
  for (uint32_t i = 0; ok && i < n; ++i) {
    chunk_ref c;
    c.id = r.u64();
    c.rows = r.u32();
    v->chunks.push_back(c);
  }
  if (!ok || !r.done())
    return corrupt("version", where);
  return status::ok();
}

void put_key_part(byte_writer& w, const key_part& p) {
  if (std::holds_alternative<int64_t>(p)) {
    w.u64(static_cast<uint64_t>(std::get<int64_t>(p)) ^ (uint64_t{1} << 63));
  } else {
    w.raw(std::get<std::string>(p));
    w.u8(0);
  }
}

std::string key_text(const key_value& k) {
  std::string s;
  for (const auto& p : k) {
    if (!s.empty())
      s += ", ";
    s += std::holds_alternative<int64_t>(p) ? std::to_string(std::get<int64_t>(p))
                                            : "'" + printable(std::get<std::string>(p)) + "'";
  }
  return "(" + s + ")";
}

key_value row_key_value(const feature_schema& s, const feature_frame& f, size_t row) {
  key_value k;
  for (const auto& name : s.primary_key) {
    const feature_column& c = f.columns[s.find(name)];
    if (c.spec.type == feature_type::int64)
      k.emplace_back(c.i64[row]);
    else
      k.emplace_back(c.str[row]);
  }
  return k;
}

// Reads every chunk of `v` for the columns `cols` (indices into the schema).
status read_rows(const txn& t, const db_handle& chunks, const std::string& name,
                 const version_record& v, const std::vector<int>& cols, uint64_t offset,
                 uint64_t limit, feature_frame* out) {
  out->columns.clear();
  for (int c : cols) {
    feature_column col;
    col.spec = v.info.schema.columns[c];
    out->columns.push_back(std::move(col));
  }
  uint64_t at = 0, taken = 0;
  for (const auto& ch : v.chunks) {
    uint64_t first = at;
    at += ch.rows;
    if (at <= offset)
      continue;
    if (taken >= limit)
      break;
    uint64_t skip = offset > first ? offset - first : 0;
    uint64_t take = std::min<uint64_t>(ch.rows - skip, limit - taken);
    for (size_t i = 0; i < cols.size(); ++i) {
      std::string key = chunk_key(name, ch.id, static_cast<uint32_t>(cols[i]));
      auto where = [&] {
        return name + " chunk " + std::to_string(ch.id) + " column " +
               v.info.schema.columns[cols[i]].name;
      };
      std::string_view bytes;
      status st = t.get(chunks, key, &bytes);
      if (st.code() == errc::not_found)
        return corrupt("missing chunk", where());
      feature_column& col = out->columns[i];
      if (st && skip == 0 && take == ch.rows)
        st = decode_chunk(bytes, &col);
      else
        for (uint64_t r = skip; st && r < skip + take; ++r)
          st = decode_chunk_row(bytes, r, &col);
      if (!st)
        return status::error(st.code(), st.message(), st.where().empty() ? where() : st.where());
    }
    taken += take;
  }
  return out->check_shape();
}

status resolve_columns(const std::string& name, const feature_schema& s,
                       const std::vector<std::string>& wanted, std::vector<int>* cols) {
  cols->clear();
  if (wanted.empty()) {
    for (size_t i = 0; i < s.columns.size(); ++i)
      cols->push_back(static_cast<int>(i));
    return status::ok();
  }
  std::vector<std::string> names;
  for (const auto& c : s.columns)
    names.push_back(c.name);
  for (const auto& w : wanted) {
    int i = s.find(w);
    if (i < 0) {
      std::string near = suggest(w, names);
      return status::error(errc::not_found,
                           "no such feature in the group" +
                             (near.empty() ? "" : "; did you mean '" + near + "'?"),
                           name + "." + w);
    }
    cols->push_back(i);
  }
  return status::ok();
}

// The index prefix of a group: every key below it, deleted on overwrite/upsert.
status clear_index(write_txn& t, const db_handle& index, const std::string& name) {
  std::vector<std::string> keys;
  std::string prefix = gkey(name);
  if (auto st = t.for_each(index, prefix,
                           [&](std::string_view k, std::string_view) {
                             keys.emplace_back(k);
                             return true;
                           });
      !st)
    return st;
  for (const auto& k : keys)
    if (auto st = t.del(index, k); !st)
      return st;
  return status::ok();
}

} // namespace

const char* to_string(write_mode m) noexcept {
  switch (m) {
  case write_mode::create: return "create";
  case write_mode::append: return "append";
  case write_mode::overwrite: return "overwrite";
  case write_mode::upsert: return "upsert";
  }
  return "unknown";
}

std::string encode_row_key(const feature_schema& s, const feature_frame& f, size_t row,
                           bool with_event_time) {
  byte_writer w;
  for (const auto& p : row_key_value(s, f, row))
    put_key_part(w, p);
  if (with_event_time && !s.event_time.empty())
    w.u64(static_cast<uint64_t>(f.columns[s.find(s.event_time)].i64[row]) ^ (uint64_t{1} << 63));
  return w.take();
}

status feature_store::open(const std::string& dir, const feature_store_options& options,
                           feature_store* out) {
  feature_store s;
  s.options_ = options;
  status st = lmdb_env::open(dir, options.env, &s.env_);
  for (auto [name, h] : {std::pair{"meta", &s.db_.meta}, {"groups", &s.db_.groups},
                         {"versions", &s.db_.versions}, {"chunks", &s.db_.chunks},
                         {"stats", &s.db_.stats}, {"index", &s.db_.index}})
    if (st)
      st = s.env_.open_db(name, h);
  if (st)
    st = s.env_.update([&](write_txn& t) {
      return check_layout_version(t, s.db_.meta, layout_version, dir + " (feature store)");
    });
  if (!st)
    return st;
  *out = std::move(s);
  return status::ok();
}

int64_t feature_store::now_ms() const {
  if (options_.clock)
    return options_.clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

status feature_store::create(const std::string& name, const feature_schema& schema,
                             const feature_frame& rows, const write_options& options,
                             version_info* out) {
  if (auto st = check_feature_name("feature group", name); !st)
    return st;
  if (auto st = check_schema(schema); !st)
    return status::error(st.code(), st.message(), name + "." + st.where());
  return write_version(name, write_mode::create, &schema, rows, options, out);
}

status feature_store::write(const std::string& name, write_mode mode, const feature_frame& rows,
                            const write_options& options, version_info* out) {
  if (mode == write_mode::create)
    return status::error(errc::invalid_argument, "use create() to make a new group", name);
  if (auto st = check_feature_name("feature group", name); !st)
    return st;
  return write_version(name, mode, nullptr, rows, options, out);
}

// Checks, then computes what does not need the transaction (the new rows'
// statistics, chunk bytes), then in one transaction: checks against what is
// stored, writes chunks, index, statistics, version and group records.
status feature_store::write_version(const std::string& name, write_mode mode,
                                    const feature_schema* schema, const feature_frame& rows,
                                    const write_options& options, version_info* out) {
  if (!env_.is_open())
    return not_open();
  group_record g;
  {
    read_txn r;
    status st = env_.begin_read(&r);
    if (st)
      st = load_group(r, db_.groups, name, &g);
    if (mode == write_mode::create) {
      if (st)
        return status::error(errc::invalid_argument, "feature group exists (version " +
                                                       std::to_string(g.newest) + ")",
                             name);
      if (st.code() != errc::not_found)
        return st;
      g = {};
      g.schema = *schema;
      g.correlations = options.correlations;
    } else if (!st) {
      return st;
    }
  }
  if (auto st = check_frame(name, g.schema, rows); !st)
    return st;
  uint32_t version = options.version == 0 ? g.newest + 1 : options.version;
  if (options.version != 0 && options.version <= g.newest)
    return status::error(errc::invalid_argument,
                         "version exists (the newest is " + std::to_string(g.newest) + ")",
                         name + " version " + std::to_string(options.version));

  // Keys unique within the rows written.
  const feature_schema& s = g.schema;
  bool with_time = !s.event_time.empty();
  std::vector<std::string> keys(rows.rows());
  {
    std::unordered_set<std::string> seen;
    seen.reserve(rows.rows());
    for (size_t r = 0; r < rows.rows(); ++r) {
      keys[r] = encode_row_key(s, rows, r, true);
      if (keys[r].size() > max_key_bytes)
        return status::error(errc::invalid_argument, "primary key longer than " +
                                                       std::to_string(max_key_bytes) + " bytes",
                             name + " row " + std::to_string(r));
      if (!seen.insert(keys[r]).second)
        return status::error(errc::invalid_argument,
                             std::string("duplicate ") + (with_time ? "key and event time " : "key ") +
                               key_text(row_key_value(s, rows, r)) + " in the rows written",
                             name + " row " + std::to_string(r));
    }
  }

  // Upsert: the newest version's rows with the new ones in place or after.
  feature_frame merged;
  const feature_frame* body = &rows;
  if (mode == write_mode::upsert) {
    read_txn r;
    version_record v;
    std::vector<int> cols;
    status st = env_.begin_read(&r);
    if (st)
      st = load_version(r, db_.versions, name, g, 0, &v);
    if (st)
      st = resolve_columns(name, s, {}, &cols);
    if (st)
      st = read_rows(r, db_.chunks, name, v, cols, 0, UINT64_MAX, &merged);
    if (!st)
      return st;
    std::unordered_map<std::string, size_t> fresh;
    for (size_t i = 0; i < keys.size(); ++i)
      fresh.emplace(keys[i], i);
    feature_frame out_rows;
    for (const auto& c : merged.columns)
      out_rows.columns.push_back(feature_column{c.spec, {}, {}, {}, {}, {}, {}});
    std::vector<bool> used(rows.rows(), false);
    for (size_t i = 0; i < merged.rows(); ++i) {
      auto it = fresh.find(encode_row_key(s, merged, i, true));
      const feature_frame& from = it == fresh.end() ? merged : rows;
      size_t row = it == fresh.end() ? i : it->second;
      if (it != fresh.end())
        used[row] = true;
      for (size_t c = 0; c < out_rows.columns.size(); ++c)
        out_rows.columns[c].push_row(from.columns[c], row);
    }
    for (size_t i = 0; i < rows.rows(); ++i)
      if (!used[i])
        for (size_t c = 0; c < out_rows.columns.size(); ++c)
          out_rows.columns[c].push_row(rows.columns[c], i);
    merged = std::move(out_rows);
    body = &merged;
    keys.resize(body->rows());
    for (size_t i = 0; i < body->rows(); ++i)
      keys[i] = encode_row_key(s, *body, i, true);
  }

  feature_statistics batch_stats;
  compute_statistics(*body, &batch_stats, g.correlations);
  size_t per_chunk = rows_per_chunk(s.columns);
  std::vector<std::vector<std::string>> chunk_bytes;  // [chunk][column]
  for (size_t begin = 0; begin < body->rows(); begin += per_chunk) {
    size_t end = std::min(body->rows(), begin + per_chunk);
    chunk_bytes.emplace_back();
    for (const auto& c : body->columns)
      chunk_bytes.back().push_back(encode_chunk(c, begin, end));
  }
  int64_t created = now_ms();

  version_record done;
  status st = env_.update([&](write_txn& t) {
    group_record gr;
    status s2 = load_group(t, db_.groups, name, &gr);
    version_record prev;
    if (mode == write_mode::create) {
      if (s2)
        return status::error(errc::invalid_argument, "feature group exists", name);
      gr = g;
    } else if (!s2) {
      return s2;
    } else if (auto s3 = load_version(t, db_.versions, name, gr, 0, &prev); !s3) {
      return s3;
    }
    if (version <= gr.newest)
      return status::error(errc::invalid_argument, "version exists",
                           name + " version " + std::to_string(version));
    feature_statistics stats = batch_stats;
    version_record v;
    v.info.group = name;
    v.info.version = version;
    v.info.mode = mode;
    v.info.created_ms = created;
    v.info.rows_written = rows.rows();
    v.info.description = options.description;
    v.info.schema = gr.schema;
    v.info.correlations = gr.correlations;
    if (mode == write_mode::append) {
      // Keys unique against the stored rows too.
      for (size_t r = 0; r < keys.size(); ++r) {
        std::string probe = gkey(name) + (with_time ? keys[r] : encode_row_key(s, rows, r, false));
        std::string_view found;
        status got = t.get(db_.index, probe, &found);
        if (got)
          return status::error(errc::invalid_argument,
                               std::string("duplicate ") +
                                 (with_time ? "key and event time " : "key ") +
                                 key_text(row_key_value(s, rows, r)) +
                                 ": already stored; use upsert to replace it",
                               name + " row " + std::to_string(r));
        if (got.code() != errc::not_found)
          return got;
      }
      v.chunks = prev.chunks;
      feature_statistics old;
      std::string_view bytes;
      status s3 = t.get(db_.stats, version_key(name, prev.info.version), &bytes);
      if (s3)
        s3 = decode_statistics(bytes, name + " version " + std::to_string(prev.info.version) +
                                        " statistics",
                               &old);
      if (s3)
        s3 = merge_statistics(old, batch_stats);
      if (!s3)
        return s3;
      stats = std::move(old);
    } else if (mode != write_mode::create) {
      if (auto s3 = clear_index(t, db_.index, name); !s3)
        return s3;
    }
    size_t row = 0;
    for (const auto& cols : chunk_bytes) {
      uint64_t id = gr.next_chunk++;
      for (size_t c = 0; c < cols.size(); ++c)
        if (auto s3 = t.put(db_.chunks, chunk_key(name, id, static_cast<uint32_t>(c)), cols[c]);
            !s3)
          return s3;
      size_t n = std::min(per_chunk, body->rows() - row);
      for (size_t r = 0; r < n; ++r) {
        const std::string& k = keys[row + r];
        std::string index_key =
          gkey(name) + (with_time ? k : encode_row_key(s, *body, row + r, false));
        if (auto s3 = t.put(db_.index, index_key, be64(id) + be32(static_cast<uint32_t>(r)));
            !s3)
          return s3;
      }
      v.chunks.push_back({id, static_cast<uint32_t>(n)});
      row += n;
    }
    for (const auto& c : v.chunks)
      v.info.rows += c.rows;
    gr.newest = version;
    status s3 = t.put(db_.stats, version_key(name, version), encode_statistics(stats));
    if (s3)
      s3 = t.put(db_.versions, version_key(name, version), encode(v));
    if (s3)
      s3 = t.put(db_.groups, name, encode(gr));
    done = v;
    return s3;
  });
  if (st && out != nullptr)
    *out = done.info;
  return st;
}

status feature_store::groups(std::vector<std::string>* out) const {
  if (!env_.is_open())
    return not_open();
  read_txn t;
  out->clear();
  status st = env_.begin_read(&t);
  if (st)
    st = t.for_each(db_.groups, {}, [&](std::string_view k, std::string_view) {
      out->emplace_back(k);
      return true;
    });
  return st;
}

status feature_store::versions(const std::string& name, std::vector<version_info>* out) const {
  if (!env_.is_open())
    return not_open();
  read_txn t;
  group_record g;
  status st = env_.begin_read(&t);
  if (st)
    st = load_group(t, db_.groups, name, &g);
  out->clear();
  for (uint32_t v = 1; st && v <= g.newest; ++v) {
    version_record rec;
    st = load_version(t, db_.versions, name, g, v, &rec);
    if (st.code() == errc::not_found) {  // versions skipped by write_options::version
      st = status::ok();
      continue;
    }
    if (st)
      out->push_back(rec.info);
  }
  return st;
}

status feature_store::describe(const std::string& name, uint32_t version,
                               version_info* out) const {
  if (!env_.is_open())
    return not_open();
  read_txn t;
  group_record g;
  version_record v;
  status st = env_.begin_read(&t);
  if (st)
    st = load_group(t, db_.groups, name, &g);
  if (st)
    st = load_version(t, db_.versions, name, g, version, &v);
  if (st)
    *out = v.info;
  return st;
}

status feature_store::statistics(const std::string& name, uint32_t version,
                                 feature_statistics* out) const {
  if (!env_.is_open())
    return not_open();
  read_txn t;
  group_record g;
  version_record v;
  std::string_view bytes;
  status st = env_.begin_read(&t);
  if (st)
    st = load_group(t, db_.groups, name, &g);
  if (st)
    st = load_version(t, db_.versions, name, g, version, &v);
  std::string where = name + " version " + std::to_string(v.info.version) + " statistics";
  if (st)
    st = t.get(db_.stats, version_key(name, v.info.version), &bytes);
  if (st.code() == errc::not_found)
    return corrupt("missing statistics", where);
  return st ? decode_statistics(bytes, where, out) : st;
}

status feature_store::read(const std::string& name, const read_options& options,
                           feature_frame* out) const {
  if (!env_.is_open())
    return not_open();
  read_txn t;
  group_record g;
  version_record v;
  std::vector<int> cols;
  status st = env_.begin_read(&t);
  if (st)
    st = load_group(t, db_.groups, name, &g);
  if (st)
    st = load_version(t, db_.versions, name, g, options.version, &v);
  if (st)
    st = resolve_columns(name, g.schema, options.columns, &cols);
  if (!st)
    return st;
  if (!options.as_of_event_time)
    return read_rows(t, db_.chunks, name, v, cols, options.offset, options.limit, out);
  if (g.schema.event_time.empty())
    return status::error(errc::invalid_argument, "as of an event time: the group has no event time",
                         name);
  // Per key, the newest row whose event time is <= as_of (ties cannot occur:
  // key and event time are unique); rows keep their stored order.
  feature_frame all;
  std::vector<int> every;
  resolve_columns(name, g.schema, {}, &every);
  if (st = read_rows(t, db_.chunks, name, v, every, 0, UINT64_MAX, &all); !st)
    return st;
  const auto& et = all.columns[g.schema.find(g.schema.event_time)].i64;
  std::unordered_map<std::string, size_t> best;
  for (size_t r = 0; r < all.rows(); ++r) {
    if (et[r] > *options.as_of_event_time)
      continue;
    auto [it, fresh] = best.emplace(encode_row_key(g.schema, all, r, false), r);
    if (!fresh && et[r] > et[it->second])
      it->second = r;
  }
  std::vector<size_t> keep;
  for (const auto& [k, r] : best)
    keep.push_back(r);
  std::sort(keep.begin(), keep.end());
  out->columns.clear();
  for (int c : cols)
    out->columns.push_back(feature_column{all.columns[c].spec, {}, {}, {}, {}, {}, {}});
  uint64_t end = std::min<uint64_t>(keep.size(), options.offset + std::min<uint64_t>(
                                                   options.limit, keep.size()));
  for (uint64_t i = options.offset; i < end; ++i)
    for (size_t c = 0; c < cols.size(); ++c)
      out->columns[c].push_row(all.columns[cols[c]], keep[i]);
  return status::ok();
}

status feature_store::lookup(const std::string& name, const std::vector<key_value>& keys,
                             const std::vector<std::string>& columns, feature_frame* out,
                             std::vector<bool>* found) const {
  if (!env_.is_open())
    return not_open();
  read_txn t;
  group_record g;
  std::vector<int> cols;
  status st = env_.begin_read(&t);
  if (st)
    st = load_group(t, db_.groups, name, &g);
  if (st)
    st = resolve_columns(name, g.schema, columns, &cols);
  if (!st)
    return st;
  const feature_schema& s = g.schema;
  out->columns.clear();
  for (int c : cols)
    out->columns.push_back(feature_column{s.columns[c], {}, {}, {}, {}, {}, {}});
  found->assign(keys.size(), false);
  std::string prefix = gkey(name);
  cursor cur;
  if (!s.event_time.empty())
    if (st = t.open_cursor(db_.index, &cur); !st)
      return st;
  for (size_t i = 0; i < keys.size(); ++i) {
    const key_value& k = keys[i];
    bool fits = k.size() == s.primary_key.size();
    for (size_t p = 0; fits && p < k.size(); ++p)
      fits = std::holds_alternative<int64_t>(k[p]) ==
             (s.columns[s.find(s.primary_key[p])].type == feature_type::int64);
    if (!fits)
      return status::error(errc::invalid_argument,
                           "key " + key_text(k) + " does not match the primary key's " +
                             std::to_string(s.primary_key.size()) + " column(s) and types",
                           name + " key " + std::to_string(i));
    byte_writer w;
    w.raw(prefix);
    for (const auto& p : k)
      put_key_part(w, p);
    std::string probe = w.take();
    std::string_view loc;
    if (s.event_time.empty()) {
      st = t.get(db_.index, probe, &loc);
    } else {
      // The newest event time of the key: the last entry with this prefix.
      std::string past = probe + std::string(8, '\xff');
      st = cur.seek(past);
      if (st && !(cur.valid() && cur.key() == past))
        st = cur.valid() ? cur.prev() : cur.last();
      if (st && cur.valid() && cur.key().size() == probe.size() + 8 &&
          cur.key().substr(0, probe.size()) == probe)
        loc = cur.value();
      else if (st)
        st = status::error(errc::not_found, "no such key");
    }
    if (st.code() == errc::not_found) {
      for (auto& c : out->columns)
        c.push_null();
      continue;
    }
    if (!st)
      return st;
    byte_reader r(loc);
    uint64_t chunk = r.u64();
    uint32_t row = r.u32();
    if (!r.done())
      return corrupt("index", name + " key " + key_text(k));
    for (size_t c = 0; c < cols.size(); ++c) {
      std::string_view bytes;
      st = t.get(db_.chunks, chunk_key(name, chunk, static_cast<uint32_t>(cols[c])), &bytes);
      if (st)
        st = decode_chunk_row(bytes, row, &out->columns[c]);
      if (!st) {
        std::string where = name + " chunk " + std::to_string(chunk) + " column " +
                            s.columns[cols[c]].name;
        return st.code() == errc::not_found ? corrupt("missing chunk", where)
                                            : status::error(st.code(), st.message(),
                                                            st.where().empty() ? where
                                                                               : st.where());
      }
    }
    (*found)[i] = true;
  }
  return status::ok();
}

status feature_store::drop(const std::string& name) {
  if (!env_.is_open())
    return not_open();
  return env_.update([&](write_txn& t) {
    group_record g;
    if (auto st = load_group(t, db_.groups, name, &g); !st)
      return st;
    std::string prefix = gkey(name);
    for (const db_handle* db : {&db_.versions, &db_.chunks, &db_.stats, &db_.index}) {
      std::vector<std::string> keys;
      if (auto st = t.for_each(*db, prefix,
                               [&](std::string_view k, std::string_view) {
                                 keys.emplace_back(k);
                                 return true;
                               });
          !st)
        return st;
      for (const auto& k : keys)
        if (auto st = t.del(*db, k); !st)
          return st;
    }
    return t.del(db_.groups, name);
  });
}

} // namespace lagom::storage
