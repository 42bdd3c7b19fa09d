#include "storage/log_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>

#include "storage/encoding.hpp"
#include "storage/posix_file.hpp"

namespace lagom::storage {

namespace {

constexpr const char* levels[] = {"trace", "debug", "info", "warn", "error"};
constexpr int64_t last_ms = 253402300799999;  // 9999-12-31T23:59:59.999Z

void escape(std::string_view in, std::string& out) {
  static const char hex[] = "0123456789abcdef";
  for (char c : in) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if ((u < 0x20 && c != '\t') || u == 0x7f)
      out += {'\\', 'x', hex[u >> 4], hex[u & 15]};
    else
      out += c;
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// The inverse of escape; an escape it does not know is kept as written.
std::string unescape(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '\\' || i + 1 == in.size()) {
      out += c;
      continue;
    }
    char n = in[i + 1];
    if (n == '\\' || n == 'n' || n == 'r') {
      out += n == '\\' ? '\\' : n == 'n' ? '\n' : '\r';
      ++i;
    } else if (n == 'x' && i + 3 < in.size() && hex_digit(in[i + 2]) >= 0 &&
               hex_digit(in[i + 3]) >= 0) {
      out += static_cast<char>(hex_digit(in[i + 2]) * 16 + hex_digit(in[i + 3]));
      i += 3;
    } else {
      out += c;
    }
  }
  return out;
}

bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

} // namespace

status check(const log_record& r) {
  bool known = false;
  for (auto l : levels)
    known = known || r.level == l;
  if (!known)
    return status::error(errc::invalid_argument,
                         "expected trace, debug, info, warn or error, got '" +
                           printable(r.level) + "'",
                         "level");
  if (r.node.empty())
    return status::ok();
  if (auto st = check_name("node", r.node, false); !st)
    return st;
  if (r.node.find(' ') != std::string::npos || r.node == "-")
    return status::error(errc::invalid_argument,
                         "a node name holds no spaces and is not '-', got '" + r.node + "'",
                         "node");
  return status::ok();
}

std::string format_time(int64_t wall_ms) {
  wall_ms = wall_ms < 0 ? 0 : wall_ms > last_ms ? last_ms : wall_ms;
  std::time_t secs = static_cast<std::time_t>(wall_ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(wall_ms % 1000));
  return buf;
}

bool parse_time(std::string_view s, int64_t* wall_ms) {
  // 0123456789012345678901234
  // 2024-05-01T12:00:01.234Z
  if (s.size() != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != '.' || s[23] != 'Z')
    return false;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
  if (!digits(s, 0, 4, &y) || !digits(s, 5, 2, &mo) || !digits(s, 8, 2, &d) ||
      !digits(s, 11, 2, &h) || !digits(s, 14, 2, &mi) || !digits(s, 17, 2, &sec) ||
      !digits(s, 20, 3, &ms))
    return false;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
    return false;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  *wall_ms = static_cast<int64_t>(::timegm(&tm)) * 1000 + ms;
  return true;
}

std::string format_line(const log_record& r) {
  std::string_view message = r.message;
  if (message.size() > max_text_bytes)
    message = message.substr(0, max_text_bytes);
  std::string out = format_time(r.wall_ms);
  out += ' ';
  out += r.level;
  out += ' ';
  out += r.node.empty() ? "-" : r.node;
  out += ' ';
  escape(message, out);
  out += '\n';
  return out;
}

bool parse_line(std::string_view line, log_record* out) {
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  // time, level and node end at the first three spaces; the rest is the message.
  size_t a = line.find(' ');
  size_t b = a == std::string_view::npos ? a : line.find(' ', a + 1);
  size_t c = b == std::string_view::npos ? b : line.find(' ', b + 1);
  if (c == std::string_view::npos || !parse_time(line.substr(0, a), &out->wall_ms))
    return false;
  out->level = std::string(line.substr(a + 1, b - a - 1));
  out->node = std::string(line.substr(b + 1, c - b - 1));
  if (out->node == "-")
    out->node.clear();
  out->message = unescape(line.substr(c + 1));
  return check(*out).is_ok();
}

status read_log_file(const std::string& path, std::vector<log_record>* out, size_t* bad) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return errno == ENOENT ? status::error(errc::not_found, "no such log file", path)
                           : errno_status("open", path);
  std::string line;
  log_record r;
  while (std::getline(in, line)) {
    if (parse_line(line, &r))
      out->push_back(std::move(r));
    else if (bad != nullptr)
      ++*bad;
  }
  if (in.bad())
    return errno_status("read", path);
  return status::ok();
}

} // namespace lagom::storage
