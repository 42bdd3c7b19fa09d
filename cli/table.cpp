// cli::table rendering and the byte, duration and time formatters.
#include "cli/table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iterator>

namespace lagom::cli {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// UTF-8 code points: every byte that is not a continuation byte.
size_t display_width(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

} // namespace

bool is_numeric_cell(const std::string& s) {
  size_t i = 0, digits = 0;
  if (i < s.size() && s[i] == '-')
    ++i;
  while (i < s.size() && is_digit(s[i])) { ++i; ++digits; }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) { ++i; ++digits; }
  }
  if (digits == 0)
    return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-'))
      ++i;
    size_t exp = 0;
    while (i < s.size() && is_digit(s[i])) { ++i; ++exp; }
    if (exp == 0)
      return false;
  }
  return i == s.size();
}

table::table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void table::add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

std::string table::render() const {
  size_t columns = headers_.size();
  for (const auto& row : rows_)
    columns = std::max(columns, row.size());
  auto cell = [](const std::vector<std::string>& row, size_t c) -> const std::string& {
    static const std::string empty;
    return c < row.size() ? row[c] : empty;
  };

  std::vector<size_t> width(columns, 0);
  std::vector<bool> numeric(columns, false);
  for (size_t c = 0; c < columns; ++c) {
    width[c] = display_width(cell(headers_, c));
    bool any = false, all = true;
    for (const auto& row : rows_) {
      const std::string& s = cell(row, c);
      width[c] = std::max(width[c], display_width(s));
      if (s.empty())
        continue;
      any = true;
      all = all && is_numeric_cell(s);
    }
    numeric[c] = any && all;
  }

  std::string out;
  if (!title_.empty())
    out += title_ + "\n";
  auto line = [&](auto&& text_of) {
    std::string l;
    for (size_t c = 0; c < columns; ++c) {
      std::string s = text_of(c);
      std::string pad(width[c] - display_width(s), ' ');
      if (c > 0)
        l += "  ";
      l += numeric[c] ? pad + s : s + pad;
    }
    l.erase(l.find_last_not_of(' ') + 1);
    out += l + "\n";
  };
  line([&](size_t c) { return cell(headers_, c); });
  line([&](size_t c) { return std::string(width[c], '-'); });
  for (const auto& row : rows_)
    line([&](size_t c) { return cell(row, c); });
  return out;
}

std::string format_bytes(uint64_t bytes) {
  if (bytes < 1024)
    return std::to_string(bytes) + " B";
  static const char* const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes) / 1024;
  size_t u = 0;
  // Move up a unit while the value would print as 1024.0 or more.
  while (u + 1 < std::size(units) && value >= 1023.95) {
    value /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, units[u]);
  return buf;
}

std::string failure_cell(const status& result) {
  return (cancelled(result) ? "CANCELLED: " : "FAILED: ") + result.to_string();
}

bool cancelled(const status& result) {
  // launch_coordinator and cluster::cancel word every such result so.
  return !result && result.message().rfind("cancelled: ", 0) == 0;
}

std::string format_duration(double seconds) {
  if (std::isnan(seconds))
    return "?";
  double ms_d = std::min(std::fabs(seconds) * 1000, 1e18);
  auto ms = static_cast<unsigned long long>(std::llround(ms_d));
  std::string sign = seconds < 0 && ms > 0 ? "-" : "";
  char buf[48];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%llu ms", ms);
  } else if (unsigned long long tenths = (ms + 50) / 100; tenths < 600) {
    std::snprintf(buf, sizeof buf, "%llu.%llu s", tenths / 10, tenths % 10);
  } else if (unsigned long long secs = (ms + 500) / 1000; secs < 3600) {
    std::snprintf(buf, sizeof buf, "%llum %02llus", secs / 60, secs % 60);
  } else if (unsigned long long mins = (secs + 30) / 60; mins < 24 * 60) {
    std::snprintf(buf, sizeof buf, "%lluh %02llum", mins / 60, mins % 60);
  } else {
    unsigned long long hours = (mins + 30) / 60;
    std::snprintf(buf, sizeof buf, "%llud %02lluh", hours / 24, hours % 24);
  }
  return sign + buf;
}

std::string format_timestamp(int64_t wall_ms) {
  std::time_t secs = static_cast<std::time_t>(std::max<int64_t>(wall_ms, 0) / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(std::max<int64_t>(wall_ms, 0) % 1000));
  return buf;
}

} // namespace lagom::cli
