#include "collective/gloo_communicator.hpp"

#include <gloo/allgather.h>
#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/common/error.h>
#include <gloo/math.h>
#include <gloo/transport/unbound_buffer.h>
#include <gloo/types.h>

#include <csignal>
#include <cstring>

#include <signal.h>
#include <gloo/rendezvous/context.h>
#include <gloo/transport/tcp/device.h>

#include "collective/gloo_store.hpp"

namespace lagom::collective {
namespace {

/// All-reduces whose gathered size (bytes x ranks) is at most this go
/// through reduce_small.
constexpr std::size_t small_allgather_bytes = 256 * 1024;
/// The slot prefix of reduce_small's messages (Gloo's own use 0x01-0x08).
constexpr uint8_t small_slot_prefix = 0x4c;

class gloo_communicator final : public communicator {
public:
  gloo_communicator(std::shared_ptr<gloo::rendezvous::Context> ctx,
                    std::shared_ptr<gloo::transport::Device> dev, const group_options& o)
    : ctx_(std::move(ctx)), dev_(std::move(dev)), rank_(o.rank), size_(o.world_size),
      timeout_(o.op_timeout) {}

  uint32_t rank() const noexcept override { return rank_; }
  uint32_t world_size() const noexcept override { return size_; }
  const char* backend() const noexcept override { return "gloo"; }

  status all_reduce(void* data, std::size_t count, dtype t, reduce_op op) override {
    if (!broken_.is_ok()) return broken_;
    if (count == 0) return status::ok();
    if (data == nullptr) return status::error(errc::invalid_argument, "data is null", "gloo all_reduce");
    if (count * size_of(t) * size_ <= small_allgather_bytes)
      return t == dtype::float32 ? reduce_small(static_cast<float*>(data), count, op)
                                 : reduce_small(static_cast<double*>(data), count, op);
    return guard("all_reduce", [&] {
      gloo::AllreduceOptions opts(ctx_);
      opts.setAlgorithm(gloo::AllreduceOptions::Algorithm::RING);
      opts.setTag(next_tag());
      opts.setTimeout(timeout_);
      if (t == dtype::float32) {
        float* p = static_cast<float*>(data);
        opts.setOutput(p, count);
        opts.setReduceFunction(
          static_cast<void (*)(void*, const void*, const void*, size_t)>(&gloo::sum<float>));
        gloo::allreduce(opts);
        if (op == reduce_op::average) {
          const float s = 1.0f / static_cast<float>(size_);
          for (std::size_t i = 0; i < count; ++i) p[i] *= s;
        }
      } else {
        double* p = static_cast<double*>(data);
        opts.setOutput(p, count);
        opts.setReduceFunction(
          static_cast<void (*)(void*, const void*, const void*, size_t)>(&gloo::sum<double>));
        gloo::allreduce(opts);
        if (op == reduce_op::average) {
          const double s = 1.0 / static_cast<double>(size_);
          for (std::size_t i = 0; i < count; ++i) p[i] *= s;
        }
      }
    });
  }

  status broadcast(void* data, std::size_t bytes, uint32_t root) override {
    if (!broken_.is_ok()) return broken_;
    if (root >= size_)
      return status::error(errc::invalid_argument,
                           "root " + std::to_string(root) + " not below world size " +
                             std::to_string(size_),
                           "gloo broadcast");
    if (bytes == 0) return status::ok();
    if (data == nullptr) return status::error(errc::invalid_argument, "data is null", "gloo broadcast");
    return guard("broadcast", [&] {
      gloo::BroadcastOptions opts(ctx_);
      opts.setTag(next_tag());
      opts.setTimeout(timeout_);
      opts.setRoot(static_cast<int>(root));
      opts.setOutput(static_cast<char*>(data), bytes);
      gloo::broadcast(opts);
    });
  }

  status barrier() override {
    if (!broken_.is_ok()) return broken_;
    return guard("barrier", [&] {
      gloo::BarrierOptions opts(ctx_);
      opts.setTag(next_tag());
      opts.setTimeout(timeout_);
      gloo::barrier(opts);
    });
  }

  status all_gather(const void* in, std::size_t bytes, void* out) override {
    if (!broken_.is_ok()) return broken_;
    if (bytes == 0) return status::ok();
    if (in == nullptr || out == nullptr)
      return status::error(errc::invalid_argument, "in or out is null", "gloo all_gather");
    return guard("all_gather", [&] {
      gloo::AllgatherOptions opts(ctx_);
      opts.setTag(next_tag());
      opts.setTimeout(timeout_);
      opts.setInput(const_cast<char*>(static_cast<const char*>(in)), bytes);
      opts.setOutput(static_cast<char*>(out), bytes * size_);
      gloo::allgather(opts);
    });
  }

private:
  uint32_t next_tag() { return ++tag_; }

  /// A small all-reduce as a direct exchange: every rank sends its buffer to
  /// every other rank (one message per pair and direction, against the
  /// ring's several segments, each a wake-up) and sums all of them in rank
  /// order, so every rank gets the same bits.
  template <class T>
  status reduce_small(T* data, std::size_t count, reduce_op op) {
    const std::size_t bytes = count * sizeof(T);
    gather_.resize(bytes * size_);
    T* all = reinterpret_cast<T*>(gather_.data());
    status st = guard("all_reduce", [&] {
      auto mine = ctx_->createUnboundBuffer(data, bytes);
      auto theirs = ctx_->createUnboundBuffer(all, bytes * size_);
      const uint64_t slot = gloo::Slot::build(small_slot_prefix, next_tag());
      for (uint32_t p = 0; p < size_; ++p) {
        if (p == rank_) continue;
        theirs->recv(static_cast<int>(p), slot, p * bytes, bytes);
        mine->send(static_cast<int>(p), slot);
      }
      std::memcpy(all + rank_ * count, data, bytes);
      for (uint32_t i = 1; i < size_; ++i) theirs->waitRecv(timeout_);
      for (uint32_t i = 1; i < size_; ++i) mine->waitSend(timeout_);
    });
    if (!st) return st;
    for (std::size_t i = 0; i < count; ++i) data[i] = all[i];
    for (uint32_t r = 1; r < size_; ++r)
      for (std::size_t i = 0; i < count; ++i) data[i] += all[r * count + i];
    if (op == reduce_op::average) {
      const T s = T(1) / static_cast<T>(size_);
      for (std::size_t i = 0; i < count; ++i) data[i] *= s;
    }
    return st;
  }

  /// Runs `fn`; a Gloo exception becomes a status naming `op` and breaks the group.
  template <class Fn>
  status guard(const char* op, Fn&& fn) {
    try {
      fn();
      return status::ok();
    } catch (const std::exception& e) {
      std::string what = e.what();
      errc code = errc::io_error;
      if (what.find("Timed out") != std::string::npos || what.find("timeout") != std::string::npos)
        code = errc::timeout;
      else if (what.find("closed") != std::string::npos || what.find("reset") != std::string::npos ||
               what.find("Broken pipe") != std::string::npos)
        code = errc::container_lost;
      std::string who = size_ == 2 ? "rank " + std::to_string(1 - rank_) + " (the only peer)"
                                   : std::string("a peer");
      std::string msg = (code == errc::timeout ? who + " did not complete in time"
                         : code == errc::container_lost ? who + " closed its connection"
                                                        : std::string("transport error")) +
                        "; the group is broken (" + what + ")";
      broken_ = status::error(code, std::move(msg), std::string("gloo ") + op);
      return broken_;
    }
  }

  std::shared_ptr<gloo::rendezvous::Context> ctx_;
  std::shared_ptr<gloo::transport::Device> dev_;
  uint32_t rank_;
  uint32_t size_;
  std::chrono::milliseconds timeout_;
  uint32_t tag_ = 0;
  status broken_;
  std::vector<char> gather_;
};

} // namespace

std::unique_ptr<communicator> make_gloo(const group_options& o, std::shared_ptr<kv_store> store,
                                        status& st, const gloo_options& gopts) {
  st = validate(o);
  if (!st) return nullptr;
  if (!store) {
    st = status::error(errc::invalid_argument, "no rendezvous store given", "make_gloo store");
    return nullptr;
  }
  // A peer that dies mid-send makes the next write fail with EPIPE; with
  // SIGPIPE at its default that would kill this process instead.
  struct sigaction old {};
  if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL)
    ::signal(SIGPIPE, SIG_IGN);
  try {
    gloo::transport::tcp::attr attr;
    attr.hostname = gopts.hostname;
    auto dev = gloo::transport::tcp::CreateDevice(attr);
    auto ctx = std::make_shared<gloo::rendezvous::Context>(static_cast<int>(o.rank),
                                                           static_cast<int>(o.world_size));
    gloo_store gs(make_prefixed_store(std::move(store), group_name(o)), o.rendezvous_timeout);
    ctx->setTimeout(o.rendezvous_timeout);
    ctx->connectFullMesh(gs, dev);
    // connectFullMesh can return on one rank while a peer still handshakes:
    // a barrier makes the group complete on every rank before any uses it
    // (or leaves: a rank that exits at once would break a peer's connect).
    gloo::BarrierOptions ready(ctx);
    ready.setTag(0);
    ready.setTimeout(o.rendezvous_timeout);
    gloo::barrier(ready);
    ctx->setTimeout(o.op_timeout);
    st = status::ok();
    return std::make_unique<gloo_communicator>(std::move(ctx), std::move(dev), o);
  } catch (const gloo::IoException& e) {
    st = status::error(errc::timeout, std::string("rendezvous failed: ") + e.what(),
                       "gloo rendezvous " + group_name(o));
  } catch (const std::exception& e) {
    st = status::error(errc::io_error, std::string("rendezvous failed: ") + e.what(),
                       "gloo rendezvous " + group_name(o));
  }
  return nullptr;
}

} // namespace lagom::collective
