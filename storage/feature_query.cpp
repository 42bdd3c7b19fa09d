#include "storage/feature_query.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <unordered_map>

#include "core/suggest.hpp"

namespace lagom::storage {

namespace {

bool is_key_column(const feature_schema& s, const std::string& name) {
  return std::find(s.primary_key.begin(), s.primary_key.end(), name) != s.primary_key.end() ||
         name == s.event_time;
}

uint32_t version_of(const feature_query& q, const std::string& group) {
  auto it = q.versions.find(group);
  return it == q.versions.end() ? 0 : it->second;
}

// Per group: the key columns' specs, to compare groups.
std::vector<feature_spec> key_specs(const feature_schema& s) {
  std::vector<feature_spec> out;
  for (const auto& k : s.primary_key)
    out.push_back(s.columns[s.find(k)]);
  return out;
}

// A group's rows by key: a flat open-addressing table from key code to the
// range of the key's rows in rows_, in event-time order (stored order
// without). Built by counting (no sort of the whole group): one probe per row
// to count, one to place, then each key's few rows sorted by event time.
class key_ranges {
public:
  void build(const std::vector<uint64_t>& codes, const std::vector<int64_t>* et) {
    size_t cap = 16;
    while (cap < codes.size() / 4)
      cap <<= 1;
    reset(cap);
    for (uint64_t c : codes) {
      size_t s = probe(c);
      if (!used_[s]) {
        if ((size_ + 1) * 2 > used_.size()) {
          grow();
          s = probe(c);
        }
        used_[s] = 1;
        keys_[s] = c;
        ++size_;
      }
      ++count_[s];
    }
    uint64_t at = 0;
    for (size_t s = 0; s < used_.size(); ++s) {
      begin_[s] = at;
      at += count_[s];
    }
    rows_.resize(codes.size());
    std::vector<uint64_t> next(begin_);
    for (size_t r = 0; r < codes.size(); ++r)
      rows_[next[probe(codes[r])]++] = r;
    if (et != nullptr)
      for (size_t s = 0; s < used_.size(); ++s)
        if (count_[s] > 1)
          std::sort(rows_.begin() + static_cast<long>(begin_[s]),
                    rows_.begin() + static_cast<long>(begin_[s] + count_[s]),
                    [&](uint64_t a, uint64_t b) { return (*et)[a] < (*et)[b]; });
  }

  /// The rows of `code`, [first, last); first == last when it has none.
  std::pair<const uint64_t*, const uint64_t*> find(uint64_t code) const {
    size_t s = probe(code);
    if (!used_[s])
      return {nullptr, nullptr};
    const uint64_t* first = rows_.data() + begin_[s];
    return {first, first + count_[s]};
  }

private:
  static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    return x ^ (x >> 33);
  }
  // The slot holding `code`, or the empty slot where it would go.
  size_t probe(uint64_t code) const {
    size_t mask = used_.size() - 1;
    for (size_t s = mix(code) & mask;; s = (s + 1) & mask)
      if (!used_[s] || keys_[s] == code)
        return s;
  }
  void reset(size_t cap) {
    keys_.assign(cap, 0);
    count_.assign(cap, 0);
    begin_.assign(cap, 0);
    used_.assign(cap, 0);
    size_ = 0;
  }
  void grow() {
    auto keys = std::move(keys_);
    auto count = std::move(count_);
    auto used = std::move(used_);
    reset(used.size() * 2);
    for (size_t s = 0; s < used.size(); ++s)
      if (used[s]) {
        size_t t = probe(keys[s]);
        used_[t] = 1;
        keys_[t] = keys[s];
        count_[t] = count[s];
        ++size_;
      }
  }

  std::vector<uint64_t> keys_, count_, begin_, rows_;
  std::vector<uint8_t> used_;
  size_t size_ = 0;
};

struct group_rows {
  std::string name;
  feature_schema schema;
  feature_frame rows;
  std::vector<std::string> features;  // asked of this group
  key_ranges by_key;
};

// Exact codes for keys: a single int64 key column is its own code (so the
// common case builds no strings); any other key gets a dense id from a map
// shared by every group of the query. No two keys share a code.
class key_codes {
public:
  explicit key_codes(const feature_schema& s) : single_int_(
    s.primary_key.size() == 1 && s.columns[s.find(s.primary_key[0])].type == feature_type::int64) {}

  // The code of row `r`; with `add` false, a key never seen gives false.
  bool code(const feature_schema& s, const feature_frame& f, size_t r, bool add, uint64_t* out) {
    if (single_int_) {
      *out = static_cast<uint64_t>(f.columns[0].i64[r]);
      return true;
    }
    std::string k = encode_row_key(s, f, r, false);
    auto it = ids_.find(k);
    if (it == ids_.end()) {
      if (!add)
        return false;
      it = ids_.emplace(std::move(k), ids_.size()).first;
    }
    *out = it->second;
    return true;
  }

private:
  bool single_int_;
  std::unordered_map<std::string, uint64_t> ids_;
};

} // namespace

status feature_catalog_of(const feature_store& fs, const feature_query& q,
                          feature_catalog* out) {
  std::vector<std::string> groups;
  if (auto st = fs.groups(&groups); !st)
    return st;
  feature_catalog cat;
  for (const auto& g : groups) {
    version_info v;
    if (auto st = fs.describe(g, version_of(q, g), &v); !st)
      return st;
    cat[g] = v.schema;
  }
  *out = std::move(cat);
  return status::ok();
}

status resolve_features(const feature_store& fs, const feature_query& q,
                        std::vector<resolved_feature>* out) {
  feature_catalog cat;
  if (auto st = feature_catalog_of(fs, q, &cat); !st)
    return st;
  return resolve_features(cat, q, out);
}

status resolve_features(const feature_catalog& schemas, const feature_query& q,
                        std::vector<resolved_feature>* out) {
  out->clear();
  if (q.features.empty())
    return status::error(errc::invalid_argument, "no features named", "features");
  std::vector<std::string> all_names;
  for (const auto& [g, s] : schemas)
    for (const auto& c : s.columns) {
      all_names.push_back(c.name);
      all_names.push_back(g + "." + c.name);
    }
  for (const auto& name : q.features) {
    size_t dot = name.find('.');
    if (dot != std::string::npos) {
      std::string g = name.substr(0, dot), f = name.substr(dot + 1);
      auto it = schemas.find(g);
      if (it == schemas.end() || it->second.find(f) < 0) {
        std::string near = suggest(name, all_names);
        return status::error(errc::not_found,
                             it == schemas.end() ? "no such feature group"
                                                 : "no such feature in the group" +
                                                     (near.empty() ? "" : "; did you mean '" +
                                                                            near + "'?"),
                             name);
      }
      out->push_back({g, f, is_key_column(it->second, f)});
      continue;
    }
    std::vector<std::string> found, key_in;
    for (const auto& [g, s] : schemas)
      if (s.find(name) >= 0)
        (is_key_column(s, name) ? key_in : found).push_back(g);
    if (found.size() > 1) {
      std::string list;
      for (const auto& g : found)
        list += (list.empty() ? "" : ", ") + g + "." + name;
      return status::error(errc::invalid_argument,
                           "feature is in " + std::to_string(found.size()) +
                             " groups: name one of " + list,
                           name);
    }
    if (found.empty() && key_in.empty()) {
      std::string near = suggest(name, all_names);
      return status::error(errc::not_found,
                           "no such feature in any group" +
                             (near.empty() ? "" : "; did you mean '" + near + "'?"),
                           name);
    }
    if (found.empty())
      out->push_back({key_in.front(), name, true});
    else
      out->push_back({found.front(), name, false});
  }
  return status::ok();
}

status plan_features(const feature_catalog& cat, const feature_query& q, feature_plan* out) {
  std::vector<resolved_feature> feats;
  if (auto st = resolve_features(cat, q, &feats); !st)
    return st;
  // The groups in order of first mention, the base first.
  std::vector<feature_plan::group_read> groups;
  auto group_index = [&](const std::string& g) -> size_t {
    for (size_t i = 0; i < groups.size(); ++i)
      if (groups[i].name == g)
        return i;
    groups.push_back({g, {}, {}, {}});
    return groups.size() - 1;
  };
  std::string base = q.base;
  if (base.empty())
    for (const auto& f : feats)
      if (!f.is_key) {
        base = f.group;
        break;
      }
  if (base.empty())
    base = feats.front().group;
  group_index(base);
  for (const auto& f : feats)
    if (!f.is_key) {
      auto& g = groups[group_index(f.group)];
      if (std::find(g.features.begin(), g.features.end(), f.feature) == g.features.end())
        g.features.push_back(f.feature);
    }
  bool point_in_time = true;
  for (auto& g : groups) {
    auto it = cat.find(g.name);
    if (it == cat.end())
      return status::error(errc::not_found, "no such feature group", g.name);
    g.schema = it->second;
    point_in_time = point_in_time && !g.schema.event_time.empty();
  }
  const feature_schema& bs = groups.front().schema;
  for (size_t i = 1; i < groups.size(); ++i)
    if (key_specs(groups[i].schema) != key_specs(bs))
      return status::error(errc::invalid_argument,
                           "groups '" + groups.front().name + "' and '" + groups[i].name +
                             "' do not share a primary key (the same key columns and types)",
                           groups.front().name + ", " + groups[i].name);
  // Each group's key, event time and asked columns.
  for (auto& g : groups) {
    g.read.version = version_of(q, g.name);
    g.read.columns = g.schema.primary_key;
    if (!g.schema.event_time.empty())
      g.read.columns.push_back(g.schema.event_time);
    for (const auto& f : g.features)
      g.read.columns.push_back(f);
  }
  out->features = std::move(feats);
  out->groups = std::move(groups);
  out->point_in_time = point_in_time;
  out->join = q.join;
  return status::ok();
}

status join_features(const feature_plan& plan, std::vector<feature_frame> frames,
                     feature_frame* out) {
  if (frames.size() != plan.groups.size() || plan.groups.empty())
    return status::error(errc::internal,
                         "join of " + std::to_string(frames.size()) + " frames for " +
                           std::to_string(plan.groups.size()) + " groups",
                         "get_features");
  const auto& feats = plan.features;
  const bool point_in_time = plan.point_in_time;
  std::vector<group_rows> groups(plan.groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    const auto& g = plan.groups[i];
    if (frames[i].columns.size() != g.read.columns.size())
      return status::error(errc::invalid_argument,
                           "rows read have " + std::to_string(frames[i].columns.size()) +
                             " columns, the plan asked " + std::to_string(g.read.columns.size()),
                           g.name);
    for (size_t c = 0; c < g.read.columns.size(); ++c)
      if (frames[i].columns[c].spec.name != g.read.columns[c])
        return status::error(errc::invalid_argument,
                             "rows read have column '" + frames[i].columns[c].spec.name +
                               "' where the plan asked '" + g.read.columns[c] + "'",
                             g.name);
    groups[i].name = g.name;
    groups[i].schema = g.schema;
    groups[i].features = g.features;
    groups[i].rows = std::move(frames[i]);
  }
  auto group_index = [&](const std::string& name) -> size_t {
    for (size_t i = 0; i < groups.size(); ++i)
      if (groups[i].name == name)
        return i;
    return 0;
  };
  const feature_schema& bs = groups.front().schema;
  // Schema of the frames read: key columns first, then event time.
  auto read_schema = [](const group_rows& g) {
    feature_schema s;
    s.columns = g.rows.specs();
    s.primary_key = g.schema.primary_key;
    s.event_time = g.schema.event_time;
    return s;
  };
  std::vector<feature_schema> rs;
  for (const auto& g : groups)
    rs.push_back(read_schema(g));
  key_codes codes(bs);
  for (size_t i = 1; i < groups.size(); ++i) {
    auto& g = groups[i];
    const std::vector<int64_t>* et =
      g.schema.event_time.empty() ? nullptr : &g.rows.columns[g.schema.primary_key.size()].i64;
    std::vector<uint64_t> keyed(g.rows.rows());
    for (size_t r = 0; r < g.rows.rows(); ++r)
      codes.code(rs[i], g.rows, r, true, &keyed[r]);
    g.by_key.build(keyed, et);
  }

  // The output's columns.
  feature_frame result;
  const group_rows& b = groups.front();
  size_t nkey = bs.primary_key.size();
  for (size_t c = 0; c < nkey + (point_in_time ? 1 : 0); ++c)
    result.columns.push_back(feature_column{b.rows.columns[c].spec, {}, {}, {}, {}, {}, {}});
  // Where each asked feature comes from: group index and column in its frame.
  std::vector<std::pair<size_t, size_t>> from;
  for (const auto& f : feats) {
    if (f.is_key)
      continue;
    size_t gi = group_index(f.group);
    const auto& g = groups[gi];
    size_t col = static_cast<size_t>(read_schema(g).find(f.feature));
    from.emplace_back(gi, col);
    result.columns.push_back(feature_column{g.rows.columns[col].spec, {}, {}, {}, {}, {}, {}});
  }

  for (size_t i = 0; i < result.columns.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (result.columns[i].spec.name == result.columns[j].spec.name)
        return status::error(errc::invalid_argument,
                             "two features of the result would both be named '" +
                               result.columns[i].spec.name + "' (ask for one of them)",
                             "features");

  const std::vector<int64_t>* base_time =
    bs.event_time.empty() ? nullptr : &b.rows.columns[nkey].i64;
  std::vector<long> match(groups.size());
  for (size_t r = 0; r < b.rows.rows(); ++r) {
    uint64_t code = 0;
    bool known = codes.code(rs[0], b.rows, r, false, &code);
    bool all = true;
    match[0] = static_cast<long>(r);
    for (size_t i = 1; i < groups.size(); ++i) {
      match[i] = -1;
      // The key's rows, then (point in time) the last one not after t.
      auto [first, last] = known ? groups[i].by_key.find(code)
                                 : std::pair<const uint64_t*, const uint64_t*>{};
      if (point_in_time && first != last) {
        const auto& et = groups[i].rows.columns[groups[i].schema.primary_key.size()].i64;
        int64_t t = (*base_time)[r];
        last = std::upper_bound(first, last, t, [&](int64_t v, uint64_t row) { return v < et[row]; });
      }
      if (first != last)
        match[i] = static_cast<long>(*(last - 1));
      all = all && match[i] >= 0;
    }
    if (!all && plan.join == join_kind::inner)
      continue;
    size_t c = 0;
    for (; c < nkey + (point_in_time ? 1 : 0); ++c)
      result.columns[c].push_row(b.rows.columns[c], r);
    for (const auto& [gi, col] : from) {
      if (match[gi] < 0)
        result.columns[c].push_null();
      else
        result.columns[c].push_row(groups[gi].rows.columns[col], static_cast<size_t>(match[gi]));
      ++c;
    }
  }
  *out = std::move(result);
  return status::ok();
}

status get_features(const feature_store& fs, const feature_query& q, feature_frame* out) {
  feature_catalog cat;
  if (auto st = feature_catalog_of(fs, q, &cat); !st)
    return st;
  feature_plan plan;
  if (auto st = plan_features(cat, q, &plan); !st)
    return st;
  std::vector<feature_frame> frames(plan.groups.size());
  for (size_t i = 0; i < plan.groups.size(); ++i)
    if (auto st = fs.read(plan.groups[i].name, plan.groups[i].read, &frames[i]); !st)
      return st;
  return join_features(plan, std::move(frames), out);
}

} // namespace lagom::storage
