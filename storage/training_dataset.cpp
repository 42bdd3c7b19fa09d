// Dataset record, layout 1 (encoding.hpp conventions):
//   u8 1 | i64 created ms | u64 seed | str description
//   | u32 n, n x str query feature | u32 n, n x (str group, u32 version)
//   | u32 n, n x (str name, u8 type, u32 width) features | u32 dim
//   | str label name | u8 label type | u32 rows per chunk
//   | u32 n, n x (str name, f64 fraction, u64 rows, u32 chunks) splits
#include "storage/training_dataset.hpp"

#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <set>

#include "storage/encoding.hpp"

namespace lagom::storage {

namespace {

struct dataset_dbs {
  db_handle records, chunks;
};

status open_dbs(feature_store& fs, dataset_dbs* d) {
  status st = fs.env().open_db("datasets", &d->records);
  return st ? fs.env().open_db("dataset_chunks", &d->chunks) : st;
}

std::string dkey(const std::string& name, uint32_t version) {
  byte_writer w;
  w.key_name(name);
  w.u32(version);
  return w.take();
}

std::string chunk_key(const std::string& name, uint32_t version, uint8_t split,
                      uint32_t chunk) {
  return dkey(name, version) + std::string(1, static_cast<char>(split)) + be32(chunk);
}

size_t label_bytes(const feature_spec& s) { return s.type == feature_type::int64 ? 8 : 4; }

std::string encode(const training_dataset_info& d) {
  byte_writer w;
  w.u8(1);
  w.i64(d.created_ms);
  w.u64(d.seed);
  w.str(d.description);
  w.u32(static_cast<uint32_t>(d.query.size()));
  for (const auto& q : d.query)
    w.str(q);
  w.u32(static_cast<uint32_t>(d.groups.size()));
  for (const auto& [g, v] : d.groups) {
    w.str(g);
    w.u32(v);
  }
  w.u32(static_cast<uint32_t>(d.features.size()));
  for (const auto& f : d.features) {
    w.str(f.name);
    w.u8(static_cast<uint8_t>(f.type));
    w.u32(f.width);
  }
  w.u32(d.dim);
  w.str(d.label.name);
  w.u8(static_cast<uint8_t>(d.label.type));
  w.u32(d.rows_per_chunk);
  w.u32(static_cast<uint32_t>(d.splits.size()));
  for (const auto& s : d.splits) {
    w.str(s.name);
    w.f64(s.fraction);
    w.u64(s.rows);
    w.u32(s.chunks);
  }
  return w.take();
}

status decode(std::string_view bytes, const std::string& name, uint32_t version,
              training_dataset_info* d) {
  byte_reader r(bytes);
  *d = {};
  d->name = name;
  d->version = version;
  bool ok = r.u8() == 1;
  d->created_ms = r.i64();
  d->seed = r.u64();
  d->description = r.str();
  uint32_t n = r.u32();
  for (uint32_t i = 0; ok && r.ok() && i < n && r.remaining() > 0; ++i)
    d->query.push_back(r.str());
  n = r.u32();
  for (uint32_t i = 0; ok && r.ok() && i < n && r.remaining() > 0; ++i) {
    std::string g = r.str();
    d->groups[g] = r.u32();
  }
  n = r.u32();
  for (uint32_t i = 0; ok && r.ok() && i < n && r.remaining() > 0; ++i) {
    feature_spec f;
    f.name = r.str();
    f.type = static_cast<feature_type>(r.u8());
    f.width = r.u32();
    d->features.push_back(std::move(f));
  }
  d->dim = r.u32();
  d->label.name = r.str();
  d->label.type = static_cast<feature_type>(r.u8());
  d->rows_per_chunk = r.u32();
  n = r.u32();
  for (uint32_t i = 0; ok && r.ok() && i < n && r.remaining() > 0; ++i) {
    split_spec s;
    s.name = r.str();
    s.fraction = r.f64();
    s.rows = r.u64();
    s.chunks = r.u32();
    d->splits.push_back(std::move(s));
  }
  if (!ok || !r.done() || d->rows_per_chunk == 0)
    return status::error(errc::io_error, "corrupt training dataset record",
                         name + " version " + std::to_string(version));
  return status::ok();
}

status bad(const std::string& msg, const std::string& where) {
  return status::error(errc::invalid_argument, msg, where);
}

status newest_version(const txn& t, const db_handle& records, const std::string& name,
                      uint32_t* out) {
  *out = 0;
  byte_writer w;
  w.key_name(name);
  return t.for_each(records, w.bytes(), [&](std::string_view k, std::string_view) {
    byte_reader r(k.substr(w.bytes().size()));
    *out = std::max(*out, r.u32());
    return true;
  });
}

} // namespace

int training_dataset_info::split_index(const std::string& n) const noexcept {
  for (size_t i = 0; i < splits.size(); ++i)
    if (splits[i].name == n)
      return static_cast<int>(i);
  return -1;
}

std::vector<uint64_t> permutation(uint64_t n, uint64_t seed, uint64_t epoch) {
  std::vector<uint64_t> p(n);
  for (uint64_t i = 0; i < n; ++i)
    p[i] = i;
  std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ull + epoch);
  for (uint64_t i = n; i > 1; --i)
    std::swap(p[i - 1], p[rng() % i]);
  return p;
}

namespace {

status check_spec(const training_dataset_spec& spec) {
  if (auto st = check_feature_name("training dataset", spec.name); !st)
    return st;
  if (spec.splits.empty())
    return bad("no splits", spec.name + ".splits");
  double total = 0;
  std::set<std::string> names;
  for (const auto& s : spec.splits) {
    if (auto st = check_feature_name(spec.name + ".splits", s.name); !st)
      return st;
    if (!names.insert(s.name).second)
      return bad("split '" + s.name + "' named twice", spec.name + ".splits");
    if (!(s.fraction > 0) || s.fraction > 1)
      return bad("split '" + s.name + "' has fraction " + std::to_string(s.fraction) +
                   "; each is in (0, 1]",
                 spec.name + ".splits");
    total += s.fraction;
  }
  if (std::fabs(total - 1) > 1e-9)
    return bad("split fractions sum to " + std::to_string(total) + ", not 1",
               spec.name + ".splits");
  if (spec.label.empty())
    return bad("no label named", spec.name + ".label");
  return status::ok();
}

} // namespace

status create_training_dataset(feature_store& fs, const training_dataset_spec& spec,
                               training_dataset_info* out) {
  if (auto st = check_spec(spec); !st)
    return st;
  // Run the query once, the label among its features, with the versions pinned.
  feature_query q = spec.query;
  if (std::find(q.features.begin(), q.features.end(), spec.label) == q.features.end())
    q.features.push_back(spec.label);
  std::vector<resolved_feature> resolved;
  if (auto st = resolve_features(fs, q, &resolved); !st)
    return st;
  std::map<std::string, uint32_t> groups;
  for (const auto& r : resolved) {
    version_info v;
    auto it = q.versions.find(r.group);
    if (auto st = fs.describe(r.group, it == q.versions.end() ? 0 : it->second, &v); !st)
      return st;
    groups[r.group] = v.version;
  }
  q.versions = groups;
  feature_frame rows;
  if (auto st = get_features(fs, q, &rows); !st)
    return st;
  return create_training_dataset_from_rows(fs, spec, resolved, groups, rows, out);
}

status create_training_dataset_from_rows(feature_store& fs, const training_dataset_spec& spec,
                                         const std::vector<resolved_feature>& resolved,
                                         const std::map<std::string, uint32_t>& groups,
                                         const feature_frame& rows,
                                         training_dataset_info* out) {
  if (auto st = check_spec(spec); !st)
    return st;
  training_dataset_info d;
  d.name = spec.name;
  d.seed = spec.seed;
  d.description = spec.description;
  d.query = spec.query.features;
  d.groups = groups;
  // The label and feature columns of the joined rows.
  std::string label_col = spec.label.substr(spec.label.find('.') + 1);
  const feature_column* label = nullptr;
  std::vector<const feature_column*> feats;
  std::set<std::string> keys;
  for (const auto& r : resolved)
    if (r.is_key)
      keys.insert(r.feature);
  for (const auto& r : resolved) {
    if (r.is_key)
      continue;
    const feature_column* c = rows.find(r.feature);
    if (c == nullptr)
      return bad("the rows lack feature '" + r.feature + "'", spec.name);
    if (r.feature == label_col && (spec.label == r.feature || spec.label == r.group + "." + r.feature)) {
      label = c;
      continue;
    }
    if (c->spec.type == feature_type::string)
      return bad("feature '" + r.feature + "' is a string; a training dataset holds numbers",
                 spec.name);
    if (std::find(feats.begin(), feats.end(), c) == feats.end())
      feats.push_back(c);
  }
  if (label == nullptr || keys.count(label_col))
    return bad("the label '" + spec.label + "' must be a non-key feature", spec.name + ".label");
  if (label->spec.type == feature_type::string || is_vector(label->spec.type))
    return bad(std::string("the label is ") + to_string(label->spec.type) +
                 "; it must be int64, float32 or float64",
               spec.name + ".label");
  d.label = {label->spec.name,
             label->spec.type == feature_type::int64 ? feature_type::int64 : feature_type::float32,
             1};
  for (const auto* c : feats) {
    d.features.push_back(c->spec);
    d.dim += c->spec.width;
  }
  if (d.dim == 0)
    return bad("no features besides the label", spec.name);
  uint64_t n = rows.rows();
  for (uint64_t r = 0; r < n; ++r)
    if (label->is_null(r))
      return bad("the label is null", spec.name + " row " + std::to_string(r));

  // The seeded split, then the bytes of each split's chunks.
  auto order = permutation(n, spec.seed, 0);
  size_t row_bytes = size_t{d.dim} * 4 + label_bytes(d.label);
  d.rows_per_chunk =
    static_cast<uint32_t>(std::clamp<size_t>(spec.chunk_bytes / row_bytes, 1, 65536));
  std::vector<std::vector<std::string>> chunks(spec.splits.size());
  uint64_t at = 0;
  d.splits = spec.splits;
  for (size_t s = 0; s < d.splits.size(); ++s) {
    uint64_t take = s + 1 == d.splits.size()
                      ? n - at
                      : std::min<uint64_t>(n - at, static_cast<uint64_t>(std::floor(
                                                     d.splits[s].fraction * static_cast<double>(n))));
    d.splits[s].rows = take;
    for (uint64_t begin = 0; begin < take; begin += d.rows_per_chunk) {
      uint64_t cnt = std::min<uint64_t>(d.rows_per_chunk, take - begin);
      std::string bytes(cnt * row_bytes, '\0');
      auto* f = reinterpret_cast<float*>(bytes.data());
      char* lab = bytes.data() + cnt * d.dim * 4;
      for (uint64_t i = 0; i < cnt; ++i) {
        uint64_t r = order[at + begin + i];
        float* dst = f + i * d.dim;
        for (const auto* c : feats) {
          if (c->spec.type == feature_type::u8_vector && !c->is_null(r)) {
            const uint8_t* src = c->u8.data() + r * c->spec.width;
            for (uint32_t e = 0; e < c->spec.width; ++e)
              dst[e] = src[e];
          } else {
            for (uint32_t e = 0; e < c->spec.width; ++e)
              dst[e] = static_cast<float>(c->number(r, e));
          }
          dst += c->spec.width;
        }
        if (d.label.type == feature_type::int64)
          std::memcpy(lab + i * 8, &label->i64[r], 8);
        else {
          auto v = static_cast<float>(label->number(r));
          std::memcpy(lab + i * 4, &v, 4);
        }
      }
      chunks[s].push_back(std::move(bytes));
    }
    d.splits[s].chunks = static_cast<uint32_t>(chunks[s].size());
    at += take;
  }
  d.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();

  dataset_dbs db;
  if (auto st = open_dbs(fs, &db); !st)
    return st;
  status st = fs.env().update([&](write_txn& t) {
    uint32_t newest = 0;
    if (auto s2 = newest_version(t, db.records, spec.name, &newest); !s2)
      return s2;
    d.version = spec.version == 0 ? newest + 1 : spec.version;
    if (d.version <= newest)
      return bad("version exists (the newest is " + std::to_string(newest) + ")",
                 spec.name + " version " + std::to_string(d.version));
    for (size_t s = 0; s < chunks.size(); ++s)
      for (size_t c = 0; c < chunks[s].size(); ++c)
        if (auto s2 = t.put(db.chunks,
                            chunk_key(spec.name, d.version, static_cast<uint8_t>(s),
                                      static_cast<uint32_t>(c)),
                            chunks[s][c]);
            !s2)
          return s2;
    return t.put(db.records, dkey(spec.name, d.version), encode(d));
  });
  if (st && out != nullptr)
    *out = d;
  return st;
}

status describe_training_dataset(feature_store& fs, const std::string& name, uint32_t version,
                                 training_dataset_info* out) {
  dataset_dbs db;
  read_txn t;
  status st = open_dbs(fs, &db);
  if (st)
    st = fs.env().begin_read(&t);
  if (st && version == 0)
    st = newest_version(t, db.records, name, &version);
  if (!st)
    return st;
  std::string_view bytes;
  st = t.get(db.records, dkey(name, version), &bytes);
  if (st.code() == errc::not_found || version == 0)
    return status::error(errc::not_found, "no such training dataset",
                         version == 0 ? name : name + " version " + std::to_string(version));
  return st ? decode(bytes, name, version, out) : st;
}

status list_training_datasets(feature_store& fs, std::vector<training_dataset_info>* out) {
  dataset_dbs db;
  read_txn t;
  out->clear();
  status st = open_dbs(fs, &db);
  if (st)
    st = fs.env().begin_read(&t);
  status bad_record;
  if (st)
    st = t.for_each(db.records, {}, [&](std::string_view k, std::string_view v) {
      size_t z = k.find('\0');
      byte_reader r(k.substr(z + 1));
      training_dataset_info d;
      bad_record = decode(v, std::string(k.substr(0, z)), r.u32(), &d);
      out->push_back(std::move(d));
      return bad_record.is_ok();
    });
  return st ? bad_record : st;
}

status training_dataset_reader::open(feature_store& fs, const std::string& name,
                                     uint32_t version, const std::string& split,
                                     training_dataset_reader* out) {
  training_dataset_reader rd;
  dataset_dbs db;
  if (auto st = describe_training_dataset(fs, name, version, &rd.info_); !st)
    return st;
  rd.split_ = rd.info_.split_index(split);
  if (rd.split_ < 0)
    return status::error(errc::not_found, "no such split", name + "." + split);
  rd.rows_ = rd.info_.splits[rd.split_].rows;
  if (auto st = open_dbs(fs, &db); !st)
    return st;
  rd.env_ = &fs.env();
  rd.chunks_db_ = db.chunks;
  *out = std::move(rd);
  return status::ok();
}

std::vector<uint64_t> training_dataset_reader::epoch_rows(uint64_t epoch, uint32_t rank,
                                                          uint32_t world) const {
  std::vector<uint64_t> out;
  if (world == 0 || rank >= world)
    return out;
  auto p = permutation(rows_, info_.seed, epoch + 1);
  uint64_t each = rows_ / world;
  out.reserve(each);
  for (uint64_t i = 0; i < each; ++i)
    out.push_back(p[i * world + rank]);
  return out;
}

// How many rows ahead of the copy read_rows asks the CPU to fetch: shuffled
// rows are scattered over the memory map, and a row's first cache lines
// would otherwise wait for memory one row at a time.
constexpr size_t prefetch_rows = 4;

status training_dataset_reader::read_rows(const std::vector<uint64_t>& rows, float* features,
                                          double* labels) const {
  if (env_ == nullptr)
    return status::error(errc::internal, "training dataset reader is not open");
  read_txn t;
  if (auto st = env_->begin_read(&t); !st)
    return st;
  const split_spec& s = info_.splits[split_];
  size_t row_bytes = size_t{info_.dim} * 4 + label_bytes(info_.label);
  size_t feature_bytes = size_t{info_.dim} * 4;
  // First every row's place in its chunk (each chunk found once per call),
  // then the copies, fetching a few rows ahead.
  std::vector<std::string_view> chunks(s.chunks);
  std::vector<const char*> feature_at(rows.size()), label_at(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    uint64_t row = rows[i];
    if (row >= rows_)
      return status::error(errc::invalid_argument,
                           "row " + std::to_string(row) + " of " + std::to_string(rows_),
                           info_.name + " " + s.name);
    uint64_t c = row / info_.rows_per_chunk, at = row % info_.rows_per_chunk;
    uint64_t cnt = std::min<uint64_t>(info_.rows_per_chunk, rows_ - c * info_.rows_per_chunk);
    if (chunks[c].data() == nullptr) {
      status st = t.get(chunks_db_,
                        chunk_key(info_.name, info_.version, static_cast<uint8_t>(split_),
                                  static_cast<uint32_t>(c)),
                        &chunks[c]);
      if (st && chunks[c].size() != cnt * row_bytes)
        st = status::error(errc::io_error, "corrupt training dataset chunk",
                           info_.name + " version " + std::to_string(info_.version) + " " +
                             s.name + " chunk " + std::to_string(c));
      if (!st)
        return st;
    }
    const char* chunk = chunks[c].data();
    feature_at[i] = chunk + at * feature_bytes;
    label_at[i] = chunk + cnt * feature_bytes + at * label_bytes(info_.label);
  }
  for (size_t i = 0; i < std::min(rows.size(), prefetch_rows); ++i)
    for (size_t b = 0; b < feature_bytes; b += 64)
      __builtin_prefetch(feature_at[i] + b);
  bool int_label = info_.label.type == feature_type::int64;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i + prefetch_rows < rows.size()) {
      const char* next = feature_at[i + prefetch_rows];
      for (size_t b = 0; b < feature_bytes; b += 64)
        __builtin_prefetch(next + b);
      __builtin_prefetch(label_at[i + prefetch_rows]);
    }
    std::memcpy(features + i * info_.dim, feature_at[i], feature_bytes);
    if (int_label) {
      int64_t v;
      std::memcpy(&v, label_at[i], 8);
      labels[i] = static_cast<double>(v);
    } else {
      float v;
      std::memcpy(&v, label_at[i], 4);
      labels[i] = v;
    }
  }
  return status::ok();
}

status training_dataset_reader::read_rows(const std::vector<uint64_t>& rows,
                                          std::vector<float>* features,
                                          std::vector<double>* labels) const {
  features->resize(rows.size() * info_.dim);
  labels->resize(rows.size());
  return read_rows(rows, features->data(), labels->data());
}

} // namespace lagom::storage
