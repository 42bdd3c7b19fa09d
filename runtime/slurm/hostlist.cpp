#include "slurm/hostlist.hpp"

#include <cctype>

namespace lagom::slurm {

namespace {

status bad(const std::string& what, size_t pos) {
  return status::error(errc::invalid_argument,
                       what + " at column " + std::to_string(pos + 1), "hostlist");
}

struct range {
  unsigned long long low = 0, high = 0;
  size_t width = 0;  // zero padding of the low bound (0: none)
};

// Reads digits at s[pos...]; false when there are none or too many.
bool number(const std::string& s, size_t& pos, unsigned long long& value, size_t& digits) {
  size_t start = pos;
  value = 0;
  while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
    if (pos - start >= 18)
      return false;
    value = value * 10 + static_cast<unsigned long long>(s[pos] - '0');
    ++pos;
  }
  digits = pos - start;
  return digits > 0;
}

// Parses the inside of "[...]" starting after '['; leaves pos after ']'.
status bracket(const std::string& s, size_t& pos, std::vector<range>& out) {
  const size_t open = pos - 1;
  for (;;) {
    if (pos >= s.size())
      return bad("unclosed '['", open);
    range r;
    size_t digits = 0;
    size_t at = pos;
    if (!number(s, pos, r.low, digits))
      return bad(pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))
                   ? "number too long"
                   : "expected a number inside '[ ]'",
                 at);
    r.width = (digits > 1 && s[at] == '0') ? digits : 0;
    r.high = r.low;
    if (pos < s.size() && s[pos] == '-') {
      ++pos;
      size_t high_at = pos, high_digits = 0;
      if (!number(s, pos, r.high, high_digits))
        return bad("expected the upper bound of a range", high_at);
      if (r.high < r.low)
        return bad("range " + std::to_string(r.low) + "-" + std::to_string(r.high) +
                     " runs backwards",
                   at);
    }
    out.push_back(r);
    if (pos >= s.size())
      return bad("unclosed '['", open);
    if (s[pos] == ',') {
      ++pos;
      continue;
    }
    if (s[pos] == ']') {
      ++pos;
      return status::ok();
    }
    return bad(std::string("unexpected '") + s[pos] + "' inside '[ ]'", pos);
  }
}

std::string padded(unsigned long long v, size_t width) {
  std::string n = std::to_string(v);
  if (n.size() < width)
    n.insert(0, width - n.size(), '0');
  return n;
}

} // namespace

status expand_hostlist(const std::string& expr, std::vector<std::string>& out) {
  out.clear();
  if (expr.empty())
    return status::error(errc::invalid_argument, "empty host list", "hostlist");
  size_t pos = 0;
  std::vector<std::string> names;
  while (pos <= expr.size()) {
    // One host: text and bracket groups up to a ',' outside brackets.
    const size_t host_start = pos;
    std::vector<std::string> partial{""};
    while (pos < expr.size() && expr[pos] != ',') {
      char c = expr[pos];
      if (c == ']')
        return bad("']' without '['", pos);
      if (std::isspace(static_cast<unsigned char>(c)))
        return bad("whitespace in a host list", pos);
      if (c == '[') {
        ++pos;
        std::vector<range> ranges;
        if (auto st = bracket(expr, pos, ranges); !st)
          return st;
        std::vector<std::string> next;
        for (const auto& head : partial)
          for (const auto& r : ranges)
            for (unsigned long long v = r.low;; ++v) {
              if (names.size() + next.size() >= max_hostlist_names)
                return bad("more than " + std::to_string(max_hostlist_names) + " hosts",
                           host_start);
              next.push_back(head + padded(v, r.width));
              if (v == r.high)
                break;
            }
        partial.swap(next);
        continue;
      }
      for (auto& p : partial)
        p += c;
      ++pos;
    }
    if (pos == host_start)
      return bad("empty host name", pos);
    for (auto& p : partial)
      names.push_back(std::move(p));
    if (names.size() > max_hostlist_names)
      return bad("more than " + std::to_string(max_hostlist_names) + " hosts", host_start);
    if (pos == expr.size())
      break;
    ++pos;  // the ','
    if (pos == expr.size())
      return bad("empty host name", pos);
  }
  out = std::move(names);
  return status::ok();
}

status first_host(const std::string& expr, std::string& out) {
  std::vector<std::string> names;
  if (auto st = expand_hostlist(expr, names); !st)
    return st;
  out = names.front();
  return status::ok();
}

} // namespace lagom::slurm
