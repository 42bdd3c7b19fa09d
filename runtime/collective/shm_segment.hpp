// The layout of a shared-memory group's segment and the waits on it
// (internal to the shm backend; see shm_communicator.hpp for the contract).
//
// Each rank owns two counters, `copied` and `reduced`, that it raises to the
// step number as it passes a step's first and second phase; everyone waits
// on them through one shared futex word (`bell`) that every post increments.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "lagom/status.hpp"

namespace lagom::collective::shm {

inline constexpr uint64_t segment_magic = 0x6c61676f6d73686dULL; // "lagomshm"

struct alignas(64) rank_words {
  std::atomic<uint32_t> copied;
  std::atomic<uint32_t> reduced;
  std::atomic<int32_t> pid;
  std::atomic<uint64_t> pid_ns;  ///< inode of the rank's pid namespace
};

struct header {
  std::atomic<uint64_t> magic;   ///< set last by rank 0 once initialised
  uint32_t world_size;
  uint32_t chunk_bytes;
  alignas(64) std::atomic<uint32_t> bell;
  alignas(64) std::atomic<uint32_t> waiters;
  alignas(64) std::atomic<uint32_t> joined;
  std::atomic<uint32_t> broken;     ///< 0, or 1 + the rank found missing
  std::atomic<uint32_t> broken_by;  ///< the rank that found it
  std::atomic<uint32_t> broken_why; ///< 1 timeout, 2 died
  // rank_words[world_size] follow, then the data slots.
};

/// Bytes before the first data slot (a multiple of 4096).
std::size_t data_offset(uint32_t world_size);
/// Total segment size: header, rank words, 2 x (world_size + 1) slots.
std::size_t segment_bytes(uint32_t world_size, std::size_t chunk_bytes);

/// A mapped segment: what one rank sees. Not copyable.
class segment {
public:
  segment(void* base, std::size_t bytes, uint32_t rank, uint32_t world_size,
          std::size_t chunk_bytes);
  ~segment();
  segment(const segment&) = delete;
  segment& operator=(const segment&) = delete;

  header& head() const { return *static_cast<header*>(base_); }
  rank_words& words(uint32_t r) const;
  /// Slot `i` (a rank, or world_size for the result slot) of buffer `b` (0/1).
  char* slot(uint32_t b, uint32_t i) const;

  /// Raise this rank's counter and wake any waiter.
  void post(std::atomic<uint32_t> rank_words::*counter, uint32_t value);
  /// Wait until every rank in `mask` (bit per rank; all when ~0) has raised
  /// `counter` to at least `value`, the group broke, a missing peer died, or
  /// `deadline` passed. `op` names the operation in the error.
  status wait_all(std::atomic<uint32_t> rank_words::*counter, uint32_t value, const char* op,
                  std::chrono::steady_clock::time_point deadline, uint64_t mask = ~0ULL);
  /// Mark the group broken (missing rank, why: 1 timeout, 2 died) and wake all.
  void mark_broken(uint32_t missing, uint32_t why);
  /// The status describing a broken group, for `op`.
  status broken_status(const char* op) const;

private:
  bool peer_dead(uint32_t r) const;

  void* base_;
  std::size_t bytes_;
  uint32_t rank_;
  uint32_t world_size_;
  std::size_t chunk_bytes_;
};

/// This process's pid-namespace inode (0 when unknown).
uint64_t own_pid_namespace();

} // namespace lagom::collective::shm
