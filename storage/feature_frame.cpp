#include "storage/feature_frame.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

namespace lagom::storage {

namespace {

status bad(std::string msg, std::string where) {
  return status::error(errc::invalid_argument, std::move(msg), std::move(where));
}

// How many values a column of `spec` must hold for `rows` rows, and in which vector.
size_t held(const feature_column& c) {
  switch (c.spec.type) {
  case feature_type::int64: return c.i64.size();
  case feature_type::float32:
  case feature_type::f32_vector: return c.f32.size();
  case feature_type::float64: return c.f64.size();
  case feature_type::string: return c.str.size();
  case feature_type::u8_vector: return c.u8.size();
  }
  return 0;
}

} // namespace

const char* to_string(feature_type t) noexcept {
  switch (t) {
  case feature_type::int64: return "int64";
  case feature_type::float32: return "float32";
  case feature_type::float64: return "float64";
  case feature_type::string: return "string";
  case feature_type::f32_vector: return "f32_vector";
  case feature_type::u8_vector: return "u8_vector";
  }
  return "unknown";
}

bool parse_feature_type(std::string_view name, feature_type* out) noexcept {
  for (auto t : {feature_type::int64, feature_type::float32, feature_type::float64,
                 feature_type::string, feature_type::f32_vector, feature_type::u8_vector})
    if (name == to_string(t)) {
      *out = t;
      return true;
    }
  return false;
}

bool is_numeric(feature_type t) noexcept { return t != feature_type::string; }

bool is_vector(feature_type t) noexcept {
  return t == feature_type::f32_vector || t == feature_type::u8_vector;
}

int feature_schema::find(std::string_view name) const noexcept {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name)
      return static_cast<int>(i);
  return -1;
}

size_t feature_column::rows() const noexcept {
  size_t n = held(*this);
  return is_vector(spec.type) ? (spec.width == 0 ? 0 : n / spec.width) : n;
}

double feature_column::number(size_t row, uint32_t e) const noexcept {
  if (is_null(row))
    return std::numeric_limits<double>::quiet_NaN();
  switch (spec.type) {
  case feature_type::int64: return static_cast<double>(i64[row]);
  case feature_type::float32: return f32[row];
  case feature_type::float64: return f64[row];
  case feature_type::f32_vector: return f32[row * spec.width + e];
  case feature_type::u8_vector: return u8[row * spec.width + e];
  case feature_type::string: break;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

void feature_column::push_row(const feature_column& from, size_t row) {
  size_t before = rows();
  size_t w = spec.width;
  switch (spec.type) {
  case feature_type::int64: i64.push_back(from.i64[row]); break;
  case feature_type::float32: f32.push_back(from.f32[row]); break;
  case feature_type::float64: f64.push_back(from.f64[row]); break;
  case feature_type::string: str.push_back(from.str[row]); break;
  case feature_type::f32_vector:
    f32.insert(f32.end(), from.f32.begin() + row * w, from.f32.begin() + (row + 1) * w);
    break;
  case feature_type::u8_vector:
    u8.insert(u8.end(), from.u8.begin() + row * w, from.u8.begin() + (row + 1) * w);
    break;
  }
  if (from.is_null(row) || !valid.empty()) {
    valid.resize(before, 1);
    valid.push_back(from.is_null(row) ? 0 : 1);
  }
}

void feature_column::push_null() {
  size_t before = rows();
  switch (spec.type) {
  case feature_type::int64: i64.push_back(0); break;
  case feature_type::float32: f32.push_back(0); break;
  case feature_type::float64: f64.push_back(0); break;
  case feature_type::string: str.emplace_back(); break;
  case feature_type::f32_vector: f32.resize(f32.size() + spec.width, 0.0f); break;
  case feature_type::u8_vector: u8.resize(u8.size() + spec.width, 0); break;
  }
  valid.resize(before, 1);
  valid.push_back(0);
}

void feature_column::reserve(size_t n) {
  switch (spec.type) {
  case feature_type::int64: i64.reserve(n); break;
  case feature_type::float32: f32.reserve(n); break;
  case feature_type::float64: f64.reserve(n); break;
  case feature_type::string: str.reserve(n); break;
  case feature_type::f32_vector: f32.reserve(n * spec.width); break;
  case feature_type::u8_vector: u8.reserve(n * spec.width); break;
  }
}

const feature_column* feature_frame::find(std::string_view name) const noexcept {
  for (const auto& c : columns)
    if (c.spec.name == name)
      return &c;
  return nullptr;
}

std::vector<feature_spec> feature_frame::specs() const {
  std::vector<feature_spec> out;
  for (const auto& c : columns)
    out.push_back(c.spec);
  return out;
}

status feature_frame::check_shape() const {
  size_t n = rows();
  for (const auto& c : columns) {
    size_t w = is_vector(c.spec.type) ? c.spec.width : 1;
    if (held(c) != n * w || c.rows() != n)
      return bad("holds " + std::to_string(held(c)) + " values; " + std::to_string(n) +
                   " rows of width " + std::to_string(w) + " need " + std::to_string(n * w),
                 c.spec.name);
    if (!c.valid.empty() && c.valid.size() != n)
      return bad("has " + std::to_string(c.valid.size()) + " validity flags for " +
                   std::to_string(n) + " rows",
                 c.spec.name);
  }
  return status::ok();
}

status check_feature_name(std::string_view field, std::string_view name) {
  if (name.empty() || name.size() > max_feature_name_bytes)
    return bad("name '" + std::string(name.substr(0, 80)) + "' must be 1 to " +
                 std::to_string(max_feature_name_bytes) + " characters",
               std::string(field));
  for (unsigned char c : name)
    if (!(std::isalnum(c) || c == '_') || c >= 0x80)
      return bad("name '" + std::string(name) + "' may hold only A-Z, a-z, 0-9 and _",
                 std::string(field));
  return status::ok();
}

status check_schema(const feature_schema& s) {
  if (s.columns.empty())
    return bad("has no columns", "schema");
  if (s.columns.size() > max_feature_columns)
    return bad(std::to_string(s.columns.size()) + " columns; at most " +
                 std::to_string(max_feature_columns),
               "schema");
  std::set<std::string> seen;
  for (const auto& c : s.columns) {
    if (auto st = check_feature_name("schema column", c.name); !st)
      return st;
    std::string where = "schema." + c.name;
    if (!seen.insert(c.name).second)
      return bad("column '" + c.name + "' appears twice", where);
    feature_type t;
    if (!parse_feature_type(to_string(c.type), &t))
      return bad("unknown type code " + std::to_string(static_cast<int>(c.type)), where);
    if (is_vector(c.type) ? (c.width < 1 || c.width > max_vector_width) : c.width != 1)
      return bad("width " + std::to_string(c.width) + " for a " + to_string(c.type) +
                   (is_vector(c.type) ? " (1 to " + std::to_string(max_vector_width) + ")"
                                      : " (scalars have width 1)"),
                 where);
  }
  if (s.primary_key.empty())
    return bad("no primary key column named", "schema.primary_key");
  std::set<std::string> keys;
  for (const auto& k : s.primary_key) {
    int i = s.find(k);
    if (i < 0)
      return bad("primary key column '" + k + "' is not a column", "schema.primary_key");
    auto t = s.columns[i].type;
    if (t != feature_type::int64 && t != feature_type::string)
      return bad("primary key column '" + k + "' is " + to_string(t) +
                   "; a key is int64 or string",
                 "schema.primary_key");
    if (!keys.insert(k).second)
      return bad("primary key column '" + k + "' named twice", "schema.primary_key");
  }
  if (!s.event_time.empty()) {
    int i = s.find(s.event_time);
    if (i < 0)
      return bad("event time column '" + s.event_time + "' is not a column",
                 "schema.event_time");
    if (s.columns[i].type != feature_type::int64)
      return bad("event time column '" + s.event_time + "' is " +
                   to_string(s.columns[i].type) + "; it must be int64",
                 "schema.event_time");
    if (keys.count(s.event_time))
      return bad("event time column '" + s.event_time + "' is also a key column",
                 "schema.event_time");
  }
  return status::ok();
}

status check_frame(std::string_view group, const feature_schema& s, const feature_frame& f) {
  std::string g(group);
  if (f.columns.size() != s.columns.size()) {
    // Name the first column that is missing or extra.
    for (const auto& c : s.columns)
      if (f.find(c.name) == nullptr)
        return bad("column '" + c.name + "' of the schema is missing", g + "." + c.name);
    for (const auto& c : f.columns)
      if (s.find(c.spec.name) < 0)
        return bad("column '" + c.spec.name + "' is not in the schema", g + "." + c.spec.name);
    return bad("has " + std::to_string(f.columns.size()) + " columns; the schema has " +
                 std::to_string(s.columns.size()),
               g);
  }
  for (size_t i = 0; i < s.columns.size(); ++i) {
    const auto& want = s.columns[i];
    const auto& have = f.columns[i].spec;
    std::string where = g + "." + want.name;
    if (have.name != want.name)
      return bad("column " + std::to_string(i) + " is '" + have.name + "'; the schema has '" +
                   want.name + "' there",
                 where);
    if (have.type != want.type || have.width != want.width)
      return bad(std::string("is ") + to_string(have.type) +
                   (is_vector(have.type) ? "[" + std::to_string(have.width) + "]" : "") +
                   "; the schema has " + to_string(want.type) +
                   (is_vector(want.type) ? "[" + std::to_string(want.width) + "]" : ""),
                 where);
  }
  if (auto st = f.check_shape(); !st)
    return status::error(st.code(), st.message(), g + "." + st.where());
  std::vector<bool> must_be_set(s.columns.size(), false);
  for (const auto& k : s.primary_key)
    must_be_set[s.find(k)] = true;
  if (!s.event_time.empty())
    must_be_set[s.find(s.event_time)] = true;
  for (size_t i = 0; i < f.columns.size(); ++i) {
    const auto& c = f.columns[i];
    std::string where = g + "." + c.spec.name;
    bool key = must_be_set[i];
    for (size_t r = 0; r < c.rows(); ++r) {
      if (key && c.is_null(r))
        return bad("null in a key or event time column", where + " row " + std::to_string(r));
      if (c.spec.type != feature_type::string)
        continue;
      if (c.str[r].size() > max_string_bytes)
        return bad("string of " + std::to_string(c.str[r].size()) + " bytes; at most " +
                     std::to_string(max_string_bytes),
                   where + " row " + std::to_string(r));
      if (key && c.str[r].find('\0') != std::string::npos)
        return bad("key string holds a 0x00 byte", where + " row " + std::to_string(r));
    }
  }
  return status::ok();
}

} // namespace lagom::storage

namespace lagom::storage {

namespace {
std::string cell(const feature_column& c, size_t r) {
  if (c.is_null(r))
    return "null";
  char buf[64];
  auto num = [&](double v) {
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return std::string(buf);
  };
  switch (c.spec.type) {
  case feature_type::int64: return std::to_string(c.i64[r]);
  case feature_type::float32:
  case feature_type::float64: return num(c.number(r));
  case feature_type::string: return c.str[r];
  case feature_type::f32_vector:
  case feature_type::u8_vector: {
    std::string s = "[";
    for (uint32_t e = 0; e < c.spec.width && e < 4; ++e)
      s += (e ? ", " : "") + num(c.number(r, e));
    return s + (c.spec.width > 4 ? ", ...]" : "]");
  }
  }
  return "?";
}
} // namespace

std::string format_table(const feature_frame& f, size_t n) {
  n = std::min(n, f.rows());
  std::vector<std::vector<std::string>> cells(f.columns.size());
  std::vector<size_t> width(f.columns.size());
  for (size_t c = 0; c < f.columns.size(); ++c) {
    cells[c].push_back(f.columns[c].spec.name);
    for (size_t r = 0; r < n; ++r)
      cells[c].push_back(cell(f.columns[c], r));
    for (const auto& s : cells[c])
      width[c] = std::max(width[c], s.size());
  }
  std::string out;
  for (size_t r = 0; r <= n; ++r) {
    std::string line;
    for (size_t c = 0; c < f.columns.size(); ++c) {
      const std::string& s = cells[c][r];
      bool right = r > 0 && f.columns[c].spec.type != feature_type::string;
      std::string pad(width[c] - s.size(), ' ');
      line += (c ? "  " : "") + (right ? pad + s : s + pad);
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    out += line + "\n";
  }
  return out;
}

} // namespace lagom::storage
