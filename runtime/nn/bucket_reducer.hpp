// nn::bucket_reducer: all-reduces a flat gradient buffer in buckets on a thread
// of its own while backward still runs (PyTorch DDP's reducer, Horovod's
// fusion buffer), so communication overlaps computation.
//
//   auto plan = nn::plan_buckets(m.param_count(), 1 << 20, 25 << 20);
//   nn::bucket_reducer red(comm, m.grads(), plan);
//   red.begin();
//   m.backward([&](size_t off, size_t n) { red.ready(off, n); });
//   if (auto st = red.finish(); !st) ...   // every bucket averaged over the ranks
//
// Buckets. A model's gradients are one flat block whose layers sit in forward
// order; backward finishes them from the last layer down, so the block fills
// from its end. plan_buckets cuts it from the end: the first bucket holds the
// last `first_bytes` (1 MiB: a small bucket starts communication early), every
// later one `bytes` (bucket_mb), the last whatever is left at offset 0. A
// bucket is a view of the gradient buffer itself: nothing is copied.
//
// Protocol per step: begin(); ready(offset, count) for regions that are final,
// from the end of the buffer down without gaps (model::backward's
// grads_ready_fn does exactly this); finish() launches the buckets not yet
// launched, waits for every one and returns the first failure. A bucket is
// launched as soon as the regions reported cover it; buckets are reduced in
// plan order (the same on every rank, as the communicator requires).
//
// Failure: a failed all-reduce (a peer died, the communicator's deadline
// passed) is returned by finish(), naming the bucket; the buckets after it
// are not reduced and the communicator is broken (communicator.hpp): the
// job's generation ends. Every wait is bounded by the communicator's own
// per-operation deadline.
//
// Ownership and threading: borrows `comm` and the buffer (both must outlive
// the reducer); owns one thread, joined by the destructor. begin/ready/finish
// are called from one thread (the train thread); between finish() and the
// next begin() the bucket thread does not touch the communicator, so the
// caller may use it directly (broadcast, a metric all-reduce).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "collective/communicator.hpp"
#include "lagom/status.hpp"

namespace lagom {
class timeline;
}

namespace lagom::nn {

/// [offset, offset + count) floats of the gradient buffer.
struct bucket {
  size_t offset = 0, count = 0;
};

/// Buckets over `n` floats, from the end (see above). first_bytes and bytes are
/// rounded down to whole floats and at least one float. n == 0: no bucket.
std::vector<bucket> plan_buckets(size_t n, size_t first_bytes, size_t bytes);

class bucket_reducer {
public:
  /// `trace` (optional, borrowed) records "bucket k ready" and "all_reduce k".
  bucket_reducer(collective::communicator& comm, float* data, std::vector<bucket> plan,
                 timeline* trace = nullptr);
  ~bucket_reducer();
  bucket_reducer(const bucket_reducer&) = delete;
  bucket_reducer& operator=(const bucket_reducer&) = delete;

  /// A new step: no bucket launched yet. Needs the last step finished.
  void begin();
  /// [offset, offset + count) of the buffer is final for this step.
  void ready(size_t offset, size_t count);
  /// Launches what is left, waits for every bucket; the first failure.
  status finish();
  /// During a step (between begin and finish), from the train thread: waits
  /// until every bucket launched so far is reduced, then runs `op` (another
  /// collective on the same communicator) on the calling thread; the bucket
  /// thread stays idle meanwhile, since only the train thread launches. So
  /// every rank calls its collectives in the same order. The first bucket
  /// failure instead of running `op`. Bounded by the buckets' deadlines.
  status between_buckets(const std::function<status()>& op);

  const std::vector<bucket>& plan() const { return plan_; }
  /// Seconds the last finish() waited for the bucket thread.
  double last_wait_s() const { return last_wait_s_; }

private:
  void launch_covered(size_t low);
  void run();

  collective::communicator& comm_;
  float* const data_;
  const std::vector<bucket> plan_;
  timeline* const trace_;

  // Train thread only.
  size_t launched_ = 0;      // buckets handed to the thread this step
  size_t low_ = 0;           // lowest offset reported ready this step
  double last_wait_s_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  size_t queued_ = 0;        // guarded: buckets the thread may reduce
  size_t done_ = 0;          // guarded: buckets reduced (or failed) this step
  status failed_;            // guarded: the first failure this step
  bool stop_ = false;        // guarded
  std::thread thread_;       // last: started once the rest is set
};

} // namespace lagom::nn
