// Search spaces: checking a dimension, the unit-interval mapping, sampling and
// config checks. The text form (parse, to_string) is in searchspace_text.cpp.
//
// Unit mapping, per kind (u in [0, 1]):
//   double      low + u (high - low), or log-uniform when `log`
//   integer     n = high - low + 1 equal cells: the range is stretched to
//               [low - 0.5, high + 0.5] (in log space when `log`), u mapped
//               into it, rounded to the nearest integer, then clamped
//   discrete,   n equal cells [k/n, (k+1)/n), one per value in list order
//   categorical
// encode() gives a cell's centre, so decode(encode(v)) == v for every value.
#include "tuning/searchspace.hpp"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "tuning/searchspace_internal.hpp"

namespace lagom::tuning {

const char* to_string(dim_kind k) noexcept {
  switch (k) {
    case dim_kind::real: return "double";
    case dim_kind::integer: return "integer";
    case dim_kind::discrete: return "discrete";
    case dim_kind::categorical: return "categorical";
  }
  return "?";
}

dimension dimension::real(std::string name, double low, double high, bool log) {
  dimension d;
  d.name = std::move(name);
  d.kind = dim_kind::real;
  d.low = low;
  d.high = high;
  d.log = log;
  return d;
}

dimension dimension::integer(std::string name, long long low, long long high, bool log) {
  dimension d = real(std::move(name), static_cast<double>(low), static_cast<double>(high), log);
  d.kind = dim_kind::integer;
  return d;
}

dimension dimension::discrete(std::string name, std::vector<double> values) {
  dimension d;
  d.name = std::move(name);
  d.kind = dim_kind::discrete;
  d.values = std::move(values);
  return d;
}

dimension dimension::categorical(std::string name, std::vector<std::string> choices) {
  dimension d;
  d.name = std::move(name);
  d.kind = dim_kind::categorical;
  d.choices = std::move(choices);
  return d;
}

size_t dimension::cardinality() const {
  switch (kind) {
    case dim_kind::real: return 0;
    case dim_kind::integer: return high < low ? 0 : static_cast<size_t>(high - low) + 1;
    case dim_kind::discrete: return values.size();
    case dim_kind::categorical: return choices.size();
  }
  return 0;
}

bool is_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_'))
    return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
      return false;
  return true;
}

std::string exact_number(double x) {
  char buf[40];
  if (x == std::floor(x) && std::fabs(x) < 1e15) {  // "100", not "1e+02"
    std::snprintf(buf, sizeof(buf), "%.0f", x);
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x)
      break;
  }
  return buf;
}

std::string quote_if_needed(const std::string& s) {
  if (is_identifier(s))
    return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string list_text(const dimension& d) {
  std::string out;
  for (double v : d.values)
    out += (out.empty() ? "" : ", ") + exact_number(v);
  for (const auto& c : d.choices)
    out += (out.empty() ? "" : ", ") + quote_if_needed(c);
  return out;
}

dim_problem find_problem(const dimension& d, const std::vector<dimension>& taken) {
  using L = searchspace_limits;
  auto at = [](dim_part part, std::string msg, size_t item = 0) {
    return dim_problem{std::move(msg), part, item};
  };
  if (taken.size() >= L::max_dimensions)
    return at(dim_part::name, "too many dimensions (at most " + std::to_string(L::max_dimensions) + ")");
  if (d.name.empty())
    return at(dim_part::name, "empty dimension name");
  if (d.name.size() > L::max_name)
    return at(dim_part::name, "name longer than " + std::to_string(L::max_name) + " characters");
  if (!is_identifier(d.name))
    return at(dim_part::name, "name must be an identifier (letters, digits, '_')");
  for (const auto& t : taken)
    if (t.name == d.name)
      return at(dim_part::name, "duplicate dimension");
  std::string range = "[" + exact_number(d.low) + ", " + exact_number(d.high) + "]";
  if (d.kind == dim_kind::real || d.kind == dim_kind::integer) {
    if (!std::isfinite(d.low) || !std::isfinite(d.high))
      return at(dim_part::range, "bounds must be finite, got " + range);
    if (d.kind == dim_kind::integer
        && (d.low != std::floor(d.low) || d.high != std::floor(d.high)
            || std::fabs(d.low) > 0x1p53 || std::fabs(d.high) > 0x1p53))
      return at(dim_part::range, "bounds must be integers, got " + range);
    if (!(d.low < d.high))
      return at(dim_part::range, "empty range " + range);
    if (d.log && d.low <= 0)
      return at(dim_part::scale, "log scale over non-positive values " + range);
    return {};
  }
  if (d.log)
    return at(dim_part::scale, "a scale applies only to double and integer");
  size_t n = d.cardinality();
  if (n == 0)
    return at(dim_part::list, "empty list of values");
  if (n > L::max_choices)
    return at(dim_part::list, "more than " + std::to_string(L::max_choices) + " values");
  for (size_t k = 0; k < n; ++k) {
    if (d.kind == dim_kind::discrete) {
      if (!std::isfinite(d.values[k]))
        return at(dim_part::item, "values must be finite", k);
      if (std::find(d.values.begin(), d.values.begin() + k, d.values[k]) != d.values.begin() + k)
        return at(dim_part::item, "duplicate value " + exact_number(d.values[k]), k);
      continue;
    }
    const std::string& c = d.choices[k];
    if (c.empty())
      return at(dim_part::item, "empty value", k);
    for (char ch : c)
      if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f)
        return at(dim_part::item, "value contains a control character", k);
    if (std::find(d.choices.begin(), d.choices.begin() + k, c) != d.choices.begin() + k)
      return at(dim_part::item, "duplicate value '" + c + "'", k);
  }
  return {};
}

status searchspace::add(dimension d) {
  auto p = find_problem(d, dims_);
  if (!p.msg.empty())
    return status::error(errc::invalid_argument, p.msg, d.name.empty() ? "searchspace" : d.name);
  dims_.push_back(std::move(d));
  return status::ok();
}

size_t searchspace::index_of(const std::string& name) const {
  for (size_t i = 0; i < dims_.size(); ++i)
    if (dims_[i].name == name)
      return i;
  return dims_.size();
}

namespace {

// The stretched bounds an integer dimension maps [0, 1] onto (see the top).
double integer_lo(const dimension& d) { return d.low - 0.5; }
double integer_hi(const dimension& d) { return d.high + 0.5; }

// x in [lo, hi] -> u, linear or in log space.
double to_fraction(double x, double lo, double hi, bool log) {
  double u = log ? (std::log(x) - std::log(lo)) / (std::log(hi) - std::log(lo))
                 : (x - lo) / (hi - lo);
  return std::clamp(u, 0.0, 1.0);
}

double from_fraction(double u, double lo, double hi, bool log) {
  if (u <= 0 || u >= 1)
    return u <= 0 ? lo : hi;  // exactly, whatever exp(log(x)) rounds to
  return log ? std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo))) : lo + u * (hi - lo);
}

double cell_centre(size_t k, size_t n) {
  return (static_cast<double>(k) + 0.5) / static_cast<double>(n);
}

size_t cell_of(double u, size_t n) {
  return std::min(static_cast<size_t>(u * static_cast<double>(n)), n - 1);
}

} // namespace

value searchspace::decode(size_t i, double u) const {
  assert(i < dims_.size());
  const dimension& d = dims_[i];
  u = u >= 0 ? std::min(u, 1.0) : 0.0;  // NaN -> 0
  switch (d.kind) {
    case dim_kind::real:
      return std::clamp(from_fraction(u, d.low, d.high, d.log), d.low, d.high);
    case dim_kind::integer: {
      double x = from_fraction(u, integer_lo(d), integer_hi(d), d.log);
      return std::clamp(std::round(x), d.low, d.high);
    }
    case dim_kind::discrete: return d.values[cell_of(u, d.values.size())];
    case dim_kind::categorical: return d.choices[cell_of(u, d.choices.size())];
  }
  return 0.0;
}

double searchspace::encode(size_t i, const value& v) const {
  assert(i < dims_.size());
  const dimension& d = dims_[i];
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  if (d.kind == dim_kind::categorical) {
    auto s = std::get_if<std::string>(&v);
    if (s == nullptr)
      return nan;
    auto it = std::find(d.choices.begin(), d.choices.end(), *s);
    return it == d.choices.end() ? nan : cell_centre(it - d.choices.begin(), d.choices.size());
  }
  auto x = std::get_if<double>(&v);
  if (x == nullptr || std::isnan(*x))
    return nan;
  switch (d.kind) {
    case dim_kind::real: return to_fraction(std::clamp(*x, d.low, d.high), d.low, d.high, d.log);
    case dim_kind::integer: {
      double k = std::clamp(std::round(*x), d.low, d.high);
      double lo = integer_lo(d), hi = integer_hi(d);
      if (!d.log)
        return (k - lo) / (hi - lo);
      double mid = 0.5 * (std::log(k - 0.5) + std::log(k + 0.5));
      return (mid - std::log(lo)) / (std::log(hi) - std::log(lo));
    }
    case dim_kind::discrete: {
      size_t best = 0;  // the value itself, else the nearest one
      for (size_t k = 1; k < d.values.size(); ++k)
        if (std::fabs(d.values[k] - *x) < std::fabs(d.values[best] - *x))
          best = k;
      return cell_centre(best, d.values.size());
    }
    case dim_kind::categorical: break;
  }
  return nan;
}

named_values searchspace::sample(rng& gen) const {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  named_values out;
  for (size_t i = 0; i < dims_.size(); ++i)
    out.set(dims_[i].name, decode(i, unit(gen)));
  return out;
}

named_values searchspace::from_unit(const std::vector<double>& u) const {
  assert(u.size() == dims_.size());
  named_values out;
  for (size_t i = 0; i < dims_.size(); ++i)
    out.set(dims_[i].name, decode(i, i < u.size() ? u[i] : 0.5));
  return out;
}

std::vector<double> searchspace::to_unit(const named_values& config) const {
  std::vector<double> u(dims_.size(), std::numeric_limits<double>::quiet_NaN());
  for (size_t i = 0; i < dims_.size(); ++i)
    if (auto v = config.find(dims_[i].name))
      u[i] = encode(i, *v);
  return u;
}

status searchspace::check(const named_values& config) const {
  for (const dimension& d : dims_) {
    auto bad = [&](std::string msg) {
      return status::error(errc::invalid_argument, std::move(msg), d.name);
    };
    const value* v = config.find(d.name);
    if (v == nullptr)
      return bad("missing from the configuration");
    if (d.kind == dim_kind::categorical) {
      auto s = std::get_if<std::string>(v);
      if (s == nullptr)
        return bad("must be one of " + list_text(d) + ", got " + format_value(*v));
      if (std::find(d.choices.begin(), d.choices.end(), *s) == d.choices.end())
        return bad("must be one of " + list_text(d) + ", got '" + *s + "'");
      continue;
    }
    auto x = std::get_if<double>(v);
    if (x == nullptr)
      return bad("must be a number, got '" + std::get<std::string>(*v) + "'");
    if (d.kind == dim_kind::discrete) {
      if (std::find(d.values.begin(), d.values.end(), *x) == d.values.end())
        return bad("must be one of " + list_text(d) + ", got " + exact_number(*x));
      continue;
    }
    if (d.kind == dim_kind::integer && *x != std::floor(*x))
      return bad("must be an integer, got " + exact_number(*x));
    if (!(*x >= d.low && *x <= d.high))
      return bad("must be within [" + exact_number(d.low) + ", " + exact_number(d.high)
                 + "], got " + exact_number(*x));
  }
  return status::ok();
}

std::string config_key(const searchspace& space, const named_values& config) {
  std::string out;
  for (const dimension& d : space.dims()) {
    out += (out.empty() ? "" : ",") + d.name + "=";
    const value* v = config.find(d.name);
    if (v == nullptr)
      out += "?";
    else if (auto s = std::get_if<std::string>(v))
      out += quote_if_needed(*s);
    else
      out += exact_number(std::get<double>(*v));
  }
  return out;
}

} // namespace lagom::tuning
