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
#include "storage/feature_records.hpp"

#include <algorithm>

#include "core/suggest.hpp"
#include "storage/feature_chunk.hpp"

namespace lagom::storage::records {

std::string gkey(const std::string& name) {
  byte_writer w;
  w.key_name(name);
  return w.take();
}

std::string version_key(const std::string& name, uint32_t v) { return gkey(name) + be32(v); }

std::string chunk_key(const std::string& name, uint64_t id, uint32_t col) {
  return gkey(name) + be64(id) + be32(col);
}

namespace {

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

} // namespace

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

} // namespace lagom::storage::records
