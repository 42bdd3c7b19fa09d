// storage/feature_store: reads (groups, versions, describe, statistics,
// read, lookup). The writes are in feature_store.cpp.
#include "storage/feature_store.hpp"

#include <algorithm>
#include <unordered_map>

#include "storage/encoding.hpp"
#include "storage/feature_chunk.hpp"
#include "storage/feature_records.hpp"

namespace lagom::storage {

using namespace records;

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

} // namespace lagom::storage
