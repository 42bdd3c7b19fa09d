#include "lagom/values.hpp"

#include <cmath>
#include <cstdio>

namespace lagom {

void named_values::set(const std::string& key, value v) {
  for (auto& e : entries_)
    if (e.first == key) {
      e.second = std::move(v);
      return;
    }
  entries_.emplace_back(key, std::move(v));
}

const value* named_values::find(const std::string& key) const {
  for (auto& e : entries_)
    if (e.first == key)
      return &e.second;
  return nullptr;
}

double named_values::number(const std::string& key, double fallback) const {
  auto v = find(key);
  if (v == nullptr || !std::holds_alternative<double>(*v))
    return fallback;
  return std::get<double>(*v);
}

std::string named_values::text(const std::string& key, const std::string& fallback) const {
  auto v = find(key);
  return v == nullptr ? fallback : format_value(*v);
}

std::string format_value(const value& v) {
  if (auto s = std::get_if<std::string>(&v))
    return *s;
  double x = std::get<double>(v);
  char buf[64];
  if (std::isfinite(x) && x == std::floor(x) && std::fabs(x) < 1e15)
    std::snprintf(buf, sizeof(buf), "%.0f", x);
  else
    std::snprintf(buf, sizeof(buf), "%.6g", x);
  return buf;
}

} // namespace lagom
