// storage/feature_store: writes (open, create, write, drop); the reads are in
// feature_store_read.cpp, the records and key layout in feature_records.*.
#include "storage/feature_store.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <unordered_map>

#include "storage/encoding.hpp"
#include "storage/feature_chunk.hpp"
#include "storage/feature_records.hpp"

namespace lagom::storage {

using namespace records;

const char* to_string(write_mode m) noexcept {
  switch (m) {
  case write_mode::create: return "create";
  case write_mode::append: return "append";
  case write_mode::overwrite: return "overwrite";
  case write_mode::upsert: return "upsert";
  }
  return "unknown";
}

namespace {

// The key columns of a schema, found once for many rows; appends a row's key
// bytes (encode_row_key's layout) to a buffer without building a key_value.
struct key_columns {
  std::vector<const feature_column*> key;
  const feature_column* time = nullptr;

  key_columns(const feature_schema& s, const feature_frame& f) {
    for (const auto& name : s.primary_key)
      key.push_back(&f.columns[s.find(name)]);
    if (!s.event_time.empty())
      time = &f.columns[s.find(s.event_time)];
  }

  static void be64(std::string* out, uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; ++i)
      b[i] = static_cast<char>(v >> (56 - 8 * i));
    out->append(b, 8);
  }

  void append(size_t row, bool with_time, std::string* out) const {
    for (const feature_column* c : key) {
      if (c->spec.type == feature_type::int64) {
        be64(out, static_cast<uint64_t>(c->i64[row]) ^ (uint64_t{1} << 63));
      } else {
        out->append(c->str[row]);
        out->push_back('\0');
      }
    }
    if (with_time && time != nullptr)
      be64(out, static_cast<uint64_t>(time->i64[row]) ^ (uint64_t{1} << 63));
  }

  std::string of(size_t row, bool with_time) const {
    std::string k;
    append(row, with_time, &k);
    return k;
  }
};

// The rows in key order (ties in row order): the index is written in this
// order, which keeps LMDB's insertions on the pages it just touched.
std::vector<size_t> key_order(const std::vector<std::string>& keys) {
  std::vector<size_t> order(keys.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  auto less = [&](size_t a, size_t b) { return keys[a] < keys[b]; };
  if (!std::is_sorted(order.begin(), order.end(), less))
    std::stable_sort(order.begin(), order.end(), less);
  return order;
}

// The first row whose key equals an earlier row's, or keys.size() when all
// differ (what inserting them in order into a set would find first).
size_t first_duplicate(const std::vector<std::string>& keys, const std::vector<size_t>& order) {
  size_t first = keys.size();
  for (size_t i = 1; i < order.size(); ++i)
    if (keys[order[i]] == keys[order[i - 1]])
      first = std::min(first, order[i]);  // stable: order[i] came later
  return first;
}

} // namespace

std::string encode_row_key(const feature_schema& s, const feature_frame& f, size_t row,
                           bool with_event_time) {
  return key_columns(s, f).of(row, with_event_time);
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
  std::vector<size_t> order;
  {
    key_columns kc(s, rows);
    size_t too_long = keys.size();
    for (size_t r = 0; r < rows.rows(); ++r) {
      kc.append(r, true, &keys[r]);
      if (keys[r].size() > max_key_bytes && too_long == keys.size())
        too_long = r;
    }
    // The first row in order that fails either check names the error.
    order = key_order(keys);
    size_t dup = first_duplicate(keys, order);
    if (too_long < keys.size() && too_long <= dup)
      return status::error(errc::invalid_argument, "primary key longer than " +
                                                     std::to_string(max_key_bytes) + " bytes",
                           name + " row " + std::to_string(too_long));
    if (size_t r = dup; r < keys.size())
      return status::error(errc::invalid_argument,
                           std::string("duplicate ") + (with_time ? "key and event time " : "key ") +
                             key_text(row_key_value(s, rows, r)) + " in the rows written",
                           name + " row " + std::to_string(r));
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
    key_columns merged_keys(s, merged);
    for (size_t i = 0; i < merged.rows(); ++i) {
      auto it = fresh.find(merged_keys.of(i, true));
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
    keys.assign(body->rows(), std::string());
    key_columns kc(s, *body);
    for (size_t i = 0; i < body->rows(); ++i)
      kc.append(i, true, &keys[i]);
    order = key_order(keys);
  }

  // The statistics are computed on a second thread while the chunks and the
  // index are encoded into the transaction (both only read *body); they are
  // awaited just before their record is put.
  feature_statistics batch_stats;
  std::shared_future<void> stats_ready =
    std::async(std::launch::async,
               [&] { compute_statistics(*body, &batch_stats, g.correlations); })
      .share();
  size_t per_chunk = rows_per_chunk(s.columns);
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
        std::string probe = gkey(name) + keys[r];
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
    } else if (mode != write_mode::create) {
      if (auto s3 = clear_index(t, db_.index, name); !s3)
        return s3;
    }
    // Each column chunk is encoded straight into its LMDB value (no copy).
    uint64_t first_id = gr.next_chunk;
    for (size_t begin = 0; begin < body->rows(); begin += per_chunk) {
      size_t end = std::min(body->rows(), begin + per_chunk);
      uint64_t id = gr.next_chunk++;
      for (size_t c = 0; c < body->columns.size(); ++c) {
        const feature_column& col = body->columns[c];
        char* at = nullptr;
        if (auto s3 = t.reserve(db_.chunks, chunk_key(name, id, static_cast<uint32_t>(c)),
                                encoded_chunk_size(col, begin, end), &at);
            !s3)
          return s3;
        encode_chunk_into(col, begin, end, at);
      }
      v.chunks.push_back({id, static_cast<uint32_t>(end - begin)});
    }
    // The index (key -> chunk id, row in chunk), in key order.
    std::string index_key = gkey(name);
    size_t prefix = index_key.size();
    for (size_t row : order) {
      index_key.resize(prefix);
      index_key += keys[row];
      char loc[12];
      uint64_t id = first_id + row / per_chunk;
      auto in_chunk = static_cast<uint32_t>(row % per_chunk);
      for (int i = 0; i < 8; ++i)
        loc[i] = static_cast<char>(id >> (56 - 8 * i));
      for (int i = 0; i < 4; ++i)
        loc[8 + i] = static_cast<char>(in_chunk >> (24 - 8 * i));
      if (auto s3 = t.put(db_.index, index_key, std::string_view(loc, 12)); !s3)
        return s3;
    }
    for (const auto& c : v.chunks)
      v.info.rows += c.rows;
    gr.newest = version;
    stats_ready.get();
    feature_statistics stats = batch_stats;
    if (mode == write_mode::append) {
      // Merged with the stored version's, not recomputed over the group.
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
    }
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

