#include "nn/bucket_reducer.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include "core/timeline.hpp"

namespace lagom::nn {

std::vector<bucket> plan_buckets(size_t n, size_t first_bytes, size_t bytes) {
  std::vector<bucket> out;
  const size_t first = std::max<size_t>(1, first_bytes / sizeof(float));
  const size_t rest = std::max<size_t>(1, bytes / sizeof(float));
  size_t hi = n;
  while (hi > 0) {
    const size_t cap = out.empty() ? first : rest;
    const size_t lo = hi > cap ? hi - cap : 0;
    out.push_back(bucket{lo, hi - lo});
    hi = lo;
  }
  return out;
}

bucket_reducer::bucket_reducer(collective::communicator& comm, float* data,
                               std::vector<bucket> plan, timeline* trace)
  : comm_(comm), data_(data), plan_(std::move(plan)), trace_(trace),
    thread_([this] { run(); }) {}

bucket_reducer::~bucket_reducer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void bucket_reducer::begin() {
  std::lock_guard<std::mutex> lock(mu_);
  launched_ = 0;
  low_ = plan_.empty() ? 0 : plan_.front().offset + plan_.front().count;
  queued_ = 0;
  done_ = 0;
  failed_ = status::ok();
}

void bucket_reducer::ready(size_t offset, size_t count) {
  (void)count;
  low_ = std::min(low_, offset);
  launch_covered(low_);
}

void bucket_reducer::launch_covered(size_t low) {
  size_t n = launched_;
  while (n < plan_.size() && plan_[n].offset >= low) {
    if (trace_)
      trace_->instant("bucket " + std::to_string(n) + " ready");
    ++n;
  }
  if (n == launched_)
    return;
  launched_ = n;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queued_ = n;
  }
  cv_.notify_all();
}

status bucket_reducer::finish() {
  launch_covered(0);
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  // Bounded: each all-reduce returns within the communicator's deadline.
  cv_.wait(lock, [&] { return done_ == plan_.size(); });
  const auto t1 = std::chrono::steady_clock::now();
  last_wait_s_ = std::chrono::duration<double>(t1 - t0).count();
  if (trace_)
    trace_->span("wait for buckets", t0, t1);
  return failed_;
}

status bucket_reducer::between_buckets(const std::function<status()>& op) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return done_ == queued_; });
    if (!failed_.is_ok())
      return failed_;
  }
  return op();
}

void bucket_reducer::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || done_ < queued_; });
    if (stop_)
      return;
    const size_t k = done_;
    const bool skip = !failed_.is_ok();
    lock.unlock();
    status st;
    if (!skip) {
      const auto t0 = std::chrono::steady_clock::now();
      st = comm_.all_reduce(data_ + plan_[k].offset, plan_[k].count,
                            collective::dtype::float32, collective::reduce_op::average);
      if (trace_)
        trace_->span("all_reduce bucket " + std::to_string(k), t0,
                     std::chrono::steady_clock::now(), 1);
    }
    lock.lock();
    if (!st && failed_.is_ok())
      failed_ = status::error(st.code(),
                              "all_reduce of gradient bucket " + std::to_string(k) + " (" +
                                  std::to_string(plan_[k].count) + " floats) failed: " +
                                  st.message(),
                              st.where());
    ++done_;
    if (done_ == queued_) // finish() waits for all, between_buckets() for those queued
      cv_.notify_all();
  }
}

} // namespace lagom::nn
