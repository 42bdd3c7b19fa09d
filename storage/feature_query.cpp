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

struct group_rows {
  std::string name;
  feature_schema schema;
  feature_frame rows;
  std::vector<std::string> features;  // asked of this group
  // (key code, event time or 0, row), sorted: a key's rows are one range,
  // by event time (stored order without).
  std::vector<std::array<uint64_t, 3>> by_key;
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

status resolve_features(const feature_store& fs, const feature_query& q,
                        std::vector<resolved_feature>* out) {
  out->clear();
  if (q.features.empty())
    return status::error(errc::invalid_argument, "no features named", "features");
  std::vector<std::string> groups;
  if (auto st = fs.groups(&groups); !st)
    return st;
  std::map<std::string, feature_schema> schemas;
  for (const auto& g : groups) {
    version_info v;
    if (auto st = fs.describe(g, version_of(q, g), &v); !st)
      return st;
    schemas[g] = v.schema;
  }
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

status get_features(const feature_store& fs, const feature_query& q, feature_frame* out) {
  std::vector<resolved_feature> feats;
  if (auto st = resolve_features(fs, q, &feats); !st)
    return st;
  // The groups in order of first mention, the base first.
  std::vector<group_rows> groups;
  auto group_index = [&](const std::string& g) -> size_t {
    for (size_t i = 0; i < groups.size(); ++i)
      if (groups[i].name == g)
        return i;
    groups.push_back({g, {}, {}, {}, {}});
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
    version_info v;
    if (auto st = fs.describe(g.name, version_of(q, g.name), &v); !st)
      return st;
    g.schema = v.schema;
    point_in_time = point_in_time && !g.schema.event_time.empty();
  }
  const feature_schema& bs = groups.front().schema;
  for (size_t i = 1; i < groups.size(); ++i)
    if (key_specs(groups[i].schema) != key_specs(bs))
      return status::error(errc::invalid_argument,
                           "groups '" + groups.front().name + "' and '" + groups[i].name +
                             "' do not share a primary key (the same key columns and types)",
                           groups.front().name + ", " + groups[i].name);

  // Read each group's key, event time and asked columns.
  for (auto& g : groups) {
    read_options ro;
    ro.version = version_of(q, g.name);
    ro.columns = g.schema.primary_key;
    if (!g.schema.event_time.empty())
      ro.columns.push_back(g.schema.event_time);
    for (const auto& f : g.features)
      ro.columns.push_back(f);
    if (auto st = fs.read(g.name, ro, &g.rows); !st)
      return st;
  }
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
    g.by_key.resize(g.rows.rows());
    for (size_t r = 0; r < g.rows.rows(); ++r) {
      uint64_t c = 0;
      codes.code(rs[i], g.rows, r, true, &c);
      uint64_t t = et == nullptr ? 0 : static_cast<uint64_t>((*et)[r]) ^ (uint64_t{1} << 63);
      g.by_key[r] = {c, t, r};
    }
    std::sort(g.by_key.begin(), g.by_key.end());
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
      const auto& keyed = groups[i].by_key;
      match[i] = -1;
      // The key's range, then (point in time) the last row not after t.
      auto lo = std::lower_bound(keyed.begin(), keyed.end(), std::array<uint64_t, 3>{code, 0, 0});
      auto hi = std::upper_bound(lo, keyed.end(),
                                 std::array<uint64_t, 3>{code, UINT64_MAX, UINT64_MAX});
      if (point_in_time && known && lo != hi) {
        uint64_t t = static_cast<uint64_t>((*base_time)[r]) ^ (uint64_t{1} << 63);
        hi = std::upper_bound(lo, hi, std::array<uint64_t, 3>{code, t, UINT64_MAX});
      }
      if (known && lo != hi)
        match[i] = static_cast<long>((*(hi - 1))[2]);
      all = all && match[i] >= 0;
    }
    if (!all && q.join == join_kind::inner)
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

} // namespace lagom::storage
