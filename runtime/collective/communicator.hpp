// lagom::collective::communicator: the collective operations of one group of
// ranks (a DDP job's generation), whatever carries them.
//
//   auto comm = collective::make_shm(opts, st);    // or make_gloo / make_nccl
//   comm->all_reduce(grads.data(), grads.size(), dtype::float32, reduce_op::average);
//
// Backends (chosen per group, see DESIGN.md section 6): shared memory when every
// rank is on one host, Gloo (TCP) across hosts, NCCL on GPUs.
//
// Contract: every rank of the group calls the same operations in the same
// order with the same sizes (the DDP job guarantees this). Each call blocks
// until the operation completed on this rank or failed. A failure (a peer
// died, the per-operation deadline passed, a transport error) returns a
// non-ok status naming the operation and, where known, the rank that is
// missing; after one failure the communicator is broken: every later call
// fails at once. A failed collective is never retried in place: the group is
// torn down and started again as a new generation.
//
// Threading: one thread calls a communicator at a time (the DDP job's
// bucket thread). Plain C++: no CAF.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "lagom/status.hpp"

namespace lagom::collective {

enum class dtype : uint8_t { float32, float64 };
enum class reduce_op : uint8_t { sum, average };

std::size_t size_of(dtype t) noexcept;
const char* to_string(dtype t) noexcept;

class communicator {
public:
  virtual ~communicator() = default;
  communicator() = default;
  communicator(const communicator&) = delete;
  communicator& operator=(const communicator&) = delete;

  virtual uint32_t rank() const noexcept = 0;
  virtual uint32_t world_size() const noexcept = 0;
  /// "shm", "gloo" or "nccl".
  virtual const char* backend() const noexcept = 0;

  /// In place: data[i] becomes the sum (or average) of every rank's data[i].
  /// `count` elements of type `t`; count 0 is a no-op that still succeeds.
  virtual status all_reduce(void* data, std::size_t count, dtype t, reduce_op op) = 0;
  /// `bytes` bytes of root's `data` are copied into every rank's `data`.
  virtual status broadcast(void* data, std::size_t bytes, uint32_t root) = 0;
  /// Returns once every rank has entered the barrier.
  virtual status barrier() = 0;
  /// Every rank contributes `bytes` bytes from `in`; `out` (world_size * bytes)
  /// receives rank r's at offset r * bytes, on every rank.
  virtual status all_gather(const void* in, std::size_t bytes, void* out) = 0;
};

} // namespace lagom::collective
