#include "core/timeline.hpp"

#include <cstdio>
#include <fstream>

namespace lagom {

namespace {
int64_t micros(timeline::clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

void append_escaped(std::string& out, const std::string& s) {
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
}
} // namespace

void timeline::span(const std::string& name, clock::time_point start, clock::time_point end,
                    uint32_t tid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (events_.size() >= max_) {
    ++dropped_;
    return;
  }
  events_.push_back(event{name, 'X', micros(start), micros(end) - micros(start), tid});
}

void timeline::instant(const std::string& name, uint32_t tid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (events_.size() >= max_) {
    ++dropped_;
    return;
  }
  events_.push_back(event{name, 'i', micros(now()), 0, tid});
}

std::string timeline::chrome_events() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out.reserve(events_.size() * 96);
  char buf[160];
  for (size_t i = 0; i < events_.size(); ++i) {
    const event& e = events_[i];
    if (i)
      out += ',';
    out += "{\"name\":\"";
    append_escaped(out, e.name);
    if (e.phase == 'X')
      std::snprintf(buf, sizeof buf, "\",\"ph\":\"X\",\"ts\":%lld,\"dur\":%lld,\"pid\":%u,\"tid\":%u}",
                    static_cast<long long>(e.ts_us), static_cast<long long>(e.dur_us), rank_,
                    e.tid);
    else
      std::snprintf(buf, sizeof buf, "\",\"ph\":\"i\",\"s\":\"t\",\"ts\":%lld,\"pid\":%u,\"tid\":%u}",
                    static_cast<long long>(e.ts_us), rank_, e.tid);
    out += buf;
  }
  return out;
}

size_t timeline::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_.size();
}

size_t timeline::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

status write_chrome_trace(const std::string& path, const std::vector<std::string>& parts) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f)
      return status::error(errc::io_error, "cannot create the timeline file", tmp);
    f << "{\"traceEvents\":[";
    bool first = true;
    for (const auto& p : parts) {
      if (p.empty())
        continue;
      if (!first)
        f << ',';
      f << p;
      first = false;
    }
    f << "]}\n";
    f.flush();
    if (!f)
      return status::error(errc::io_error, "cannot write the timeline file", tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return status::error(errc::io_error, "cannot rename the timeline file into place", path);
  }
  return status::ok();
}

} // namespace lagom
