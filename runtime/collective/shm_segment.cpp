#include "collective/shm_segment.hpp"

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace lagom::collective::shm {
namespace {

using clock = std::chrono::steady_clock;

/// Spin this long before sleeping on the futex: long enough to catch a peer
/// that is a step behind, short enough not to steal its core.
constexpr auto spin_for = std::chrono::microseconds(30);
/// A futex sleep lasts at most this long before the deadline and liveness checks.
constexpr long slice_ns = 2'000'000;
/// How often a sleeper checks that the peers it waits for still live.
constexpr auto liveness_every = std::chrono::milliseconds(20);

void futex_wait(std::atomic<uint32_t>* word, uint32_t seen, long ns) {
  timespec ts{0, ns};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, seen, &ts, nullptr, 0);
}

void futex_wake_all(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/// "rank 2" or "ranks 1,2".
std::string rank_list(uint64_t missing) {
  std::string s;
  for (uint32_t r = 0; r < 64; ++r)
    if (missing & (1ULL << r)) s += (s.empty() ? "" : ",") + std::to_string(r);
  return (__builtin_popcountll(missing) == 1 ? "rank " : "ranks ") + s;
}

} // namespace

std::size_t data_offset(uint32_t world_size) {
  std::size_t raw = sizeof(header) + world_size * sizeof(rank_words);
  return (raw + 4095) / 4096 * 4096;
}

std::size_t segment_bytes(uint32_t world_size, std::size_t chunk_bytes) {
  return data_offset(world_size) + 2 * (world_size + 1) * chunk_bytes;
}

uint64_t own_pid_namespace() {
  struct stat st {};
  if (::stat("/proc/self/ns/pid", &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_ino);
}

segment::segment(void* base, std::size_t bytes, uint32_t rank, uint32_t world_size,
                 std::size_t chunk_bytes)
  : base_(base), bytes_(bytes), rank_(rank), world_size_(world_size), chunk_bytes_(chunk_bytes) {}

segment::~segment() { ::munmap(base_, bytes_); }

rank_words& segment::words(uint32_t r) const {
  return reinterpret_cast<rank_words*>(static_cast<char*>(base_) + sizeof(header))[r];
}

char* segment::slot(uint32_t b, uint32_t i) const {
  return static_cast<char*>(base_) + data_offset(world_size_) +
         (static_cast<std::size_t>(b) * (world_size_ + 1) + i) * chunk_bytes_;
}

void segment::post(std::atomic<uint32_t> rank_words::*counter, uint32_t value) {
  (words(rank_).*counter).store(value, std::memory_order_release);
  header& h = head();
  h.bell.fetch_add(1, std::memory_order_seq_cst);
  if (h.waiters.load(std::memory_order_seq_cst) != 0) futex_wake_all(&h.bell);
}

void segment::mark_broken(uint32_t missing, uint32_t why) {
  header& h = head();
  uint32_t expected = 0;
  h.broken_by.store(rank_, std::memory_order_relaxed);
  h.broken_why.store(why, std::memory_order_relaxed);
  h.broken.compare_exchange_strong(expected, missing + 1, std::memory_order_seq_cst);
  h.bell.fetch_add(1, std::memory_order_seq_cst);
  futex_wake_all(&h.bell);
}

status segment::broken_status(const char* op) const {
  const header& h = head();
  uint32_t b = h.broken.load(std::memory_order_acquire);
  uint32_t missing = b == 0 ? 0 : b - 1;
  uint32_t by = h.broken_by.load(std::memory_order_relaxed);
  bool died = h.broken_why.load(std::memory_order_relaxed) == 2;
  std::string msg = "rank " + std::to_string(missing) +
                    (died ? " died" : " did not arrive in time") +
                    (by == rank_ ? std::string() : " (seen by rank " + std::to_string(by) + ")") +
                    "; the group is broken";
  return status::error(died ? errc::container_lost : errc::timeout, std::move(msg),
                       std::string("shm ") + op);
}

bool segment::peer_dead(uint32_t r) const {
  const rank_words& w = words(r);
  int32_t pid = w.pid.load(std::memory_order_acquire);
  if (pid <= 0) return false;  // not joined yet: only the deadline can tell
  uint64_t ns = w.pid_ns.load(std::memory_order_relaxed);
  if (ns == 0 || ns != own_pid_namespace()) return false;  // cannot see it
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return errno == ENOENT;
  char buf[512];
  std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  const char* paren = std::strrchr(buf, ')');
  if (paren == nullptr || paren[1] == '\0' || paren[2] == '\0') return false;
  char state = paren[2];
  return state == 'Z' || state == 'X';
}

status segment::wait_all(std::atomic<uint32_t> rank_words::*counter, uint32_t value,
                         const char* op, clock::time_point deadline, uint64_t mask) {
  header& h = head();
  auto missing = [&]() -> uint64_t {
    uint64_t m = 0;
    for (uint32_t r = 0; r < world_size_; ++r) {
      if (!(mask & (1ULL << r))) continue;
      uint32_t v = (words(r).*counter).load(std::memory_order_acquire);
      if (static_cast<int32_t>(v - value) < 0) m |= 1ULL << r;
    }
    return m;
  };
  if (missing() == 0) return status::ok();
  auto start = clock::now();
  for (unsigned i = 0;; ++i) {
    if (missing() == 0) return status::ok();
    if (h.broken.load(std::memory_order_acquire) != 0) return broken_status(op);
    cpu_relax();
    if ((i & 63) == 63 && clock::now() - start > spin_for) break;
  }
  auto last_liveness = clock::now();
  for (;;) {
    h.waiters.fetch_add(1, std::memory_order_seq_cst);
    uint32_t seen = h.bell.load(std::memory_order_seq_cst);
    uint64_t m = missing();
    if (m != 0 && h.broken.load(std::memory_order_acquire) == 0) futex_wait(&h.bell, seen, slice_ns);
    h.waiters.fetch_sub(1, std::memory_order_seq_cst);
    m = missing();
    if (m == 0) return status::ok();
    if (h.broken.load(std::memory_order_acquire) != 0) return broken_status(op);
    auto now = clock::now();
    if (now - last_liveness >= liveness_every) {
      last_liveness = now;
      for (uint32_t r = 0; r < world_size_; ++r)
        if ((m & (1ULL << r)) && peer_dead(r)) {
          mark_broken(r, 2);
          return broken_status(op);
        }
    }
    if (now >= deadline) {
      uint32_t first = 0;
      while (!(m & (1ULL << first))) ++first;
      mark_broken(first, 1);
      return status::error(errc::timeout,
                           "timed out waiting for " + rank_list(m) +
                             "; the group is broken",
                           std::string("shm ") + op);
    }
  }
}

} // namespace lagom::collective::shm
