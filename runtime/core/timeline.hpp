// lagom::timeline: phases of one rank (forward, backward, bucket ready,
// all-reduce, wait, optimizer step) as Chrome trace events, so a user sees in
// chrome://tracing or Perfetto which rank is late (Horovod's timeline).
//
//   timeline tl(rank);
//   auto t0 = timeline::now();  ...  tl.span("forward", t0, timeline::now());
//   tl.instant("bucket 0 ready");
//   std::string json = tl.chrome_events();  // "{...},{...}" (no brackets)
//
// Format: Chrome's trace event format, "X" (complete) events with microsecond
// "ts"/"dur" since the steady clock's epoch and "i" (instant) events; pid is
// the rank, tid 0 the train thread, tid 1 the bucket thread. write_chrome_trace
// joins the events of every rank into one JSON file: {"traceEvents":[...]}.
//
// Threading: span/instant may be called from several threads at once (a
// mutex); the recorder keeps at most `max_events` (older ones are kept, newer
// ones counted as dropped) so a long job cannot exhaust memory.
// Plain C++ (no CAF).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "lagom/status.hpp"

namespace lagom {

class timeline {
public:
  using clock = std::chrono::steady_clock;
  static clock::time_point now() { return clock::now(); }

  explicit timeline(uint32_t rank, size_t max_events = 200000)
    : rank_(rank), max_(max_events) {}

  /// A complete event [start, end) on thread `tid` (0 train, 1 bucket thread).
  void span(const std::string& name, clock::time_point start, clock::time_point end,
            uint32_t tid = 0);
  /// A point event now.
  void instant(const std::string& name, uint32_t tid = 0);

  /// Every event so far as comma-separated JSON objects (no enclosing brackets).
  std::string chrome_events() const;
  size_t size() const;
  size_t dropped() const;
  uint32_t rank() const { return rank_; }

private:
  struct event {
    std::string name;
    char phase;
    int64_t ts_us, dur_us;
    uint32_t tid;
  };
  const uint32_t rank_;
  const size_t max_;
  mutable std::mutex mu_;
  std::vector<event> events_; // guarded by mu_
  size_t dropped_ = 0;        // guarded by mu_
};

/// Writes {"traceEvents":[ parts joined by commas ]} to `path` (whole or not
/// at all: a temporary file renamed into place). io_error names the path.
status write_chrome_trace(const std::string& path, const std::vector<std::string>& parts);

} // namespace lagom
