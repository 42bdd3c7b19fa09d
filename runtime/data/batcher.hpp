// data::batcher: per-epoch shuffled mini-batches of sample indices, and the
// shard of one rank of a data-parallel job.
//
// Order. Epoch e visits a permutation of 0..n-1 that depends only on
// (seed, e, n): Fisher-Yates driven by splitmix64 seeded from (seed, e). It is
// written out rather than std::shuffle / std::uniform_int_distribution, whose
// output differs between standard libraries: every rank must compute the same
// permutation whatever it was built with. shuffle = false gives 0..n-1.
//
// Shards. The epoch's permutation is split among `world` ranks; every sample is
// in exactly one shard per epoch, and shard sizes differ by at most one (no
// padding, nothing dropped):
//
//   contiguous  rank r: perm[b_r, b_{r+1}),  b_r = r * (n / world) + min(r, n % world)
//   strided     rank r: perm[r], perm[r + world], perm[r + 2 * world], ...
//
// Batches. The shard, in order, cut into batch_size pieces; the last is shorter
// unless drop_last, which leaves those samples out of this epoch. Ranks that
// all-reduce after every step must run the same number of steps: when shard
// sizes differ, stop after common_batches().
#pragma once

#include <cstdint>
#include <vector>

#include "lagom/status.hpp"

namespace lagom::data {

enum class shard_mode { contiguous, strided };

struct batcher_options {
  uint32_t batch_size = 64;
  uint64_t seed = 0;
  bool shuffle = true;
  bool drop_last = false;
  uint32_t rank = 0;   // this process, in [0, world)
  uint32_t world = 1;  // ranks sharing the data
  shard_mode mode = shard_mode::contiguous;
};

/// A value: cheap to copy, no state between epochs (any epoch, in any order).
class batcher {
public:
  batcher() = default;

  /// Checks `opts` against `samples` and fills `out`. invalid_argument, naming
  /// the field, when batch_size or world is 0, rank >= world, or samples does
  /// not fit a uint32 index.
  static status open(uint64_t samples, const batcher_options& opts, batcher& out);

  /// All n indices in epoch `epoch`'s order (the same on every rank).
  std::vector<uint32_t> permutation(uint64_t epoch) const;
  /// This rank's share of permutation(epoch).
  std::vector<uint32_t> shard(uint64_t epoch) const;
  /// shard(epoch) cut into batches.
  std::vector<std::vector<uint32_t>> batches(uint64_t epoch) const;

  uint64_t samples() const { return n_; }
  /// Size of rank r's shard (the same every epoch).
  uint64_t shard_size(uint32_t rank) const;
  /// Batches this rank gets per epoch.
  uint64_t batches_per_epoch() const { return batches_for(shard_size(opts_.rank)); }
  /// The fewest batches any rank gets per epoch.
  uint64_t common_batches() const;
  const batcher_options& options() const { return opts_; }

private:
  uint64_t batches_for(uint64_t shard) const;

  uint64_t n_ = 0;
  batcher_options opts_;
};

} // namespace lagom::data
