// Named values: hyperparameters going into a function, metrics coming out.
// A value is a number or a text. Order of insertion is kept (it is the order
// in which tables print them).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace lagom {

using value = std::variant<double, std::string>;

class named_values {
public:
  using entry = std::pair<std::string, value>;

  /// Sets `key` to `v`, replacing an earlier value of the same key.
  void set(const std::string& key, value v);

  bool contains(const std::string& key) const { return find(key) != nullptr; }
  const value* find(const std::string& key) const;

  /// The number under `key`, or `fallback` when absent or a text.
  double number(const std::string& key, double fallback) const;
  /// The text under `key`, or `fallback` when absent; a number is formatted.
  std::string text(const std::string& key, const std::string& fallback) const;

  const std::vector<entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

private:
  std::vector<entry> entries_;
};

/// A value as a user reads it: numbers without trailing zeros ("0.001", "32").
std::string format_value(const value& v);

} // namespace lagom
