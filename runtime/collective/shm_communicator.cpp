#include "collective/shm_communicator.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "collective/shm_segment.hpp"

namespace lagom::collective {
namespace {

using clock = std::chrono::steady_clock;
using shm::rank_words;

constexpr uint32_t max_ranks = 64;
/// All-reduces up to this size take one step with one wait (see reduce_one_shot).
constexpr std::size_t one_shot_bytes = 32 * 1024;

status sys_error(const std::string& what, const std::string& name) {
  return status::error(errc::io_error, what + ": " + std::strerror(errno), name);
}

/// out[i] = (mine[i] + sum of others[k][i]) * scale, also written back to mine.
template <class T>
void reduce_slice(T* __restrict mine, T* __restrict out, const T* const* others, uint32_t n_others,
                  std::size_t n, T scale, bool average) {
  if (n_others == 1) {
    const T* __restrict o = others[0];
    if (average)
      for (std::size_t i = 0; i < n; ++i) out[i] = mine[i] = (mine[i] + o[i]) * scale;
    else
      for (std::size_t i = 0; i < n; ++i) out[i] = mine[i] = mine[i] + o[i];
    return;
  }
  for (std::size_t i = 0; i < n; ++i) out[i] = mine[i];
  for (uint32_t k = 0; k < n_others; ++k) {
    const T* __restrict o = others[k];
    for (std::size_t i = 0; i < n; ++i) out[i] += o[i];
  }
  if (average)
    for (std::size_t i = 0; i < n; ++i) out[i] *= scale;
  std::memcpy(mine, out, n * sizeof(T));
}

class shm_communicator final : public communicator {
public:
  shm_communicator(std::unique_ptr<shm::segment> seg, const group_options& o, std::size_t chunk)
    : seg_(std::move(seg)), rank_(o.rank), size_(o.world_size), chunk_(chunk),
      op_timeout_(o.op_timeout) {}

  uint32_t rank() const noexcept override { return rank_; }
  uint32_t world_size() const noexcept override { return size_; }
  const char* backend() const noexcept override { return "shm"; }

  status all_reduce(void* data, std::size_t count, dtype t, reduce_op op) override {
    if (!broken_.is_ok()) return broken_;
    if (count > 0 && data == nullptr)
      return status::error(errc::invalid_argument, "data is null", "shm all_reduce");
    if (t == dtype::float32) return fail(reduce<float>(static_cast<float*>(data), count, op));
    return fail(reduce<double>(static_cast<double*>(data), count, op));
  }

  status broadcast(void* data, std::size_t bytes, uint32_t root) override {
    if (!broken_.is_ok()) return broken_;
    if (root >= size_)
      return status::error(errc::invalid_argument,
                           "root " + std::to_string(root) + " not below world size " +
                             std::to_string(size_),
                           "shm broadcast");
    if (bytes > 0 && data == nullptr)
      return status::error(errc::invalid_argument, "data is null", "shm broadcast");
    auto deadline = clock::now() + op_timeout_;
    char* p = static_cast<char*>(data);
    for (std::size_t off = 0; off < bytes; off += chunk_) {
      std::size_t len = std::min(chunk_, bytes - off);
      uint32_t b = next_step();
      if (rank_ == root) std::memcpy(seg_->slot(b, root), p + off, len);
      seg_->post(&rank_words::copied, step_);
      seg_->post(&rank_words::reduced, step_);
      if (auto st = seg_->wait_all(&rank_words::reduced, step_, "broadcast", deadline); !st)
        return fail(st);
      if (rank_ != root) std::memcpy(p + off, seg_->slot(b, root), len);
    }
    return status::ok();
  }

  status barrier() override {
    if (!broken_.is_ok()) return broken_;
    next_step();
    seg_->post(&rank_words::copied, step_);
    seg_->post(&rank_words::reduced, step_);
    return fail(seg_->wait_all(&rank_words::reduced, step_, "barrier", clock::now() + op_timeout_));
  }

  status all_gather(const void* in, std::size_t bytes, void* out) override {
    if (!broken_.is_ok()) return broken_;
    if (bytes > 0 && (in == nullptr || out == nullptr))
      return status::error(errc::invalid_argument, "in or out is null", "shm all_gather");
    auto deadline = clock::now() + op_timeout_;
    const char* src = static_cast<const char*>(in);
    char* dst = static_cast<char*>(out);
    for (std::size_t off = 0; off < bytes; off += chunk_) {
      std::size_t len = std::min(chunk_, bytes - off);
      uint32_t b = next_step();
      std::memcpy(seg_->slot(b, rank_), src + off, len);
      seg_->post(&rank_words::copied, step_);
      seg_->post(&rank_words::reduced, step_);
      if (auto st = seg_->wait_all(&rank_words::reduced, step_, "all_gather", deadline); !st)
        return fail(st);
      for (uint32_t r = 0; r < size_; ++r)
        std::memcpy(dst + r * bytes + off, r == rank_ ? src + off : seg_->slot(b, r), len);
    }
    return status::ok();
  }

private:
  /// Advances to the next step; returns its buffer (0 or 1).
  uint32_t next_step() { return ++step_ & 1u; }

  status fail(status st) {
    if (!st.is_ok() && st.code() != errc::invalid_argument) broken_ = st;
    return st;
  }

  /// Small buffers in one step and one wait: every rank publishes its whole
  /// buffer, then each sums all slots itself, in rank order (so every rank
  /// gets the same bits). Safe with one wait: a rank posts step s+1 only
  /// after it finished reading step s, and step s+2 reuses step s's buffer.
  template <class T>
  status reduce_one_shot(T* data, std::size_t count, reduce_op op,
                         clock::time_point deadline) {
    uint32_t b = next_step();
    if (count > 0) // an empty buffer's data may be null: memcpy's arguments must not be
      std::memcpy(seg_->slot(b, rank_), data, count * sizeof(T));
    seg_->post(&rank_words::copied, step_);
    seg_->post(&rank_words::reduced, step_);
    if (auto st = seg_->wait_all(&rank_words::copied, step_, "all_reduce", deadline); !st)
      return st;
    const T* s0 = reinterpret_cast<const T*>(seg_->slot(b, 0));
    for (std::size_t i = 0; i < count; ++i) data[i] = s0[i];
    for (uint32_t r = 1; r < size_; ++r) {
      const T* __restrict sr = reinterpret_cast<const T*>(seg_->slot(b, r));
      for (std::size_t i = 0; i < count; ++i) data[i] += sr[i];
    }
    if (op == reduce_op::average) {
      const T scale = T(1) / static_cast<T>(size_);
      for (std::size_t i = 0; i < count; ++i) data[i] *= scale;
    }
    return status::ok();
  }

  template <class T>
  status reduce(T* data, std::size_t count, reduce_op op) {
    auto deadline = clock::now() + op_timeout_;
    if (count * sizeof(T) <= std::min(chunk_, one_shot_bytes))
      return reduce_one_shot(data, count, op, deadline);
    const std::size_t per_chunk = chunk_ / sizeof(T);
    const bool average = op == reduce_op::average;
    const T scale = T(1) / static_cast<T>(size_);
    const T* others[max_ranks];
    for (std::size_t e0 = 0; e0 < count; e0 += per_chunk) {
      std::size_t len = std::min(per_chunk, count - e0);
      // Slice bounds: multiples of 16 elements (64-byte aligned for float32).
      std::size_t per = ((len + size_ - 1) / size_ + 15) / 16 * 16;
      auto lo = [&](uint32_t r) { return std::min(len, per * r); };
      T* chunk = data + e0;
      uint32_t b = next_step();
      T* mine = reinterpret_cast<T*>(seg_->slot(b, rank_));
      for (uint32_t r = 0; r < size_; ++r)
        if (r != rank_ && lo(r + 1) > lo(r))
          std::memcpy(mine + lo(r), chunk + lo(r), (lo(r + 1) - lo(r)) * sizeof(T));
      seg_->post(&rank_words::copied, step_);
      if (auto st = seg_->wait_all(&rank_words::copied, step_, "all_reduce", deadline); !st)
        return st;
      uint32_t n_others = 0;
      for (uint32_t r = 0; r < size_; ++r)
        if (r != rank_) others[n_others++] = reinterpret_cast<const T*>(seg_->slot(b, r)) + lo(rank_);
      T* result = reinterpret_cast<T*>(seg_->slot(b, size_));
      reduce_slice(chunk + lo(rank_), result + lo(rank_), others, n_others,
                   lo(rank_ + 1) - lo(rank_), scale, average);
      seg_->post(&rank_words::reduced, step_);
      if (auto st = seg_->wait_all(&rank_words::reduced, step_, "all_reduce", deadline); !st)
        return st;
      for (uint32_t r = 0; r < size_; ++r)
        if (r != rank_ && lo(r + 1) > lo(r))
          std::memcpy(chunk + lo(r), result + lo(r), (lo(r + 1) - lo(r)) * sizeof(T));
    }
    return status::ok();
  }

  std::unique_ptr<shm::segment> seg_;
  uint32_t rank_;
  uint32_t size_;
  std::size_t chunk_;
  std::chrono::milliseconds op_timeout_;
  uint32_t step_ = 0;
  status broken_;
};

/// Opens (rank > 0) or creates (rank 0) the segment and maps it; bounded by `deadline`.
std::unique_ptr<shm::segment> map_segment(const group_options& o, std::size_t chunk,
                                          clock::time_point deadline, status& st) {
  const std::string name = shm_segment_name(o);
  const std::size_t bytes = shm::segment_bytes(o.world_size, chunk);
  int fd = -1;
  if (o.rank == 0) {
    ::shm_unlink(name.c_str());  // a stale segment of a crashed run of this generation
    fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0) { st = sys_error("shm_open", name); return nullptr; }
    if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
      st = sys_error("ftruncate", name);
      ::close(fd);
      ::shm_unlink(name.c_str());
      return nullptr;
    }
  } else {
    // Rank 0 may not have created it yet: retry briefly until the deadline.
    for (;;) {
      fd = ::shm_open(name.c_str(), O_RDWR, 0600);
      if (fd >= 0) {
        struct stat sb {};
        if (::fstat(fd, &sb) == 0 && static_cast<std::size_t>(sb.st_size) == bytes) break;
        ::close(fd);
        fd = -1;
      } else if (errno != ENOENT) {
        st = sys_error("shm_open", name);
        return nullptr;
      }
      if (clock::now() >= deadline) {
        st = status::error(errc::timeout,
                           "rank 0 did not create the segment within the rendezvous timeout",
                           "shm rendezvous " + name);
        return nullptr;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  }
  void* base = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (base == MAP_FAILED) {
    st = sys_error("mmap", name);
    if (o.rank == 0) ::shm_unlink(name.c_str());
    return nullptr;
  }
  auto seg = std::make_unique<shm::segment>(base, bytes, o.rank, o.world_size, chunk);
  shm::header& h = seg->head();
  if (o.rank == 0) {
    h.world_size = o.world_size;
    h.chunk_bytes = static_cast<uint32_t>(chunk);
    h.magic.store(shm::segment_magic, std::memory_order_release);
  } else {
    while (h.magic.load(std::memory_order_acquire) != shm::segment_magic) {
      if (clock::now() >= deadline) {
        st = status::error(errc::timeout, "segment never initialised by rank 0",
                           "shm rendezvous " + name);
        return nullptr;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (h.world_size != o.world_size || h.chunk_bytes != chunk) {
      st = status::error(errc::invalid_argument,
                         "rank 0 made the group with world_size " + std::to_string(h.world_size) +
                           " and chunk " + std::to_string(h.chunk_bytes) + ", this rank has " +
                           std::to_string(o.world_size) + " and " + std::to_string(chunk),
                         "shm rendezvous " + name);
      return nullptr;
    }
  }
  return seg;
}

} // namespace

std::string shm_segment_name(const group_options& opts) {
  return "/lagom-" + group_name(opts);
}

std::unique_ptr<communicator> make_shm(const group_options& o, status& st, std::size_t chunk) {
  st = validate(o);
  if (!st) return nullptr;
  if (o.world_size > max_ranks) {
    st = status::error(errc::invalid_argument, "at most 64 ranks share one host's segment",
                       "group_options.world_size");
    return nullptr;
  }
  if (chunk < 64 || chunk % 64 != 0 || chunk > (1u << 30)) {
    st = status::error(errc::invalid_argument, "must be a positive multiple of 64 up to 1 GiB",
                       "shm_chunk_bytes");
    return nullptr;
  }
  auto deadline = clock::now() + o.rendezvous_timeout;
  auto seg = map_segment(o, chunk, deadline, st);
  if (!seg) return nullptr;
  shm::rank_words& me = seg->words(o.rank);
  me.pid_ns.store(shm::own_pid_namespace(), std::memory_order_relaxed);
  me.pid.store(static_cast<int32_t>(::getpid()), std::memory_order_release);
  seg->head().joined.fetch_add(1, std::memory_order_acq_rel);
  const std::string name = shm_segment_name(o);
  st = status::ok();
  for (;;) {
    if (seg->head().joined.load(std::memory_order_acquire) >= o.world_size) break;
    uint64_t missing = 0;
    for (uint32_t r = 0; r < o.world_size; ++r)
      if (seg->words(r).pid.load(std::memory_order_acquire) == 0) missing |= 1ULL << r;
    if (clock::now() >= deadline) {
      std::string list;
      for (uint32_t r = 0; r < o.world_size; ++r)
        if (missing & (1ULL << r)) list += (list.empty() ? "" : ",") + std::to_string(r);
      seg->mark_broken(0, 1);
      st = status::error(errc::timeout, "rank(s) " + list + " did not join within the rendezvous timeout",
                         "shm rendezvous " + name);
      if (o.rank == 0) ::shm_unlink(name.c_str());
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  if (o.rank == 0) ::shm_unlink(name.c_str());
  return std::make_unique<shm_communicator>(std::move(seg), o, chunk);
}

} // namespace lagom::collective
