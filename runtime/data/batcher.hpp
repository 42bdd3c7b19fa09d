// data::batcher: per-epoch shuffled mini-batches of sample indices, and the
// shard of one rank of a data-parallel job.
//
// Order. Epoch e visits a permutation of 0..n-1 that depends only on
// (seed, e, n): Fisher-Yates driven by splitmix64 seeded from (seed, e). It is
// written out rather than std::shuffle / std::uniform_int_distribution, whose
// output differs between standard libraries: every rank must compute the same
// permutation whatever it was built with. shuffle = false gives 0..n-1.
//
// Shards. The epoch's permutation is split among `world` ranks. What happens
// when world does not divide n is `uneven`:
//
//   keep  every sample in exactly one shard; sizes differ by at most one
//         (a trial's default; NOT for ranks that all-reduce every step)
//   pad   the permutation is extended to ceil(n / world) * world by repeating
//         its first samples (PyTorch's DistributedSampler): every sample is
//         seen, a few twice, and every shard has the same size
//   drop  the permutation is cut to floor(n / world) * world: every shard has
//         the same size and the last n % world samples of this epoch's order
//         are left out (a different few each epoch)
//
// With pad or drop every rank gets the same number of batches of the same
// sizes, so ranks that all-reduce after every step never wait for a rank
// that has run out of data: a DDP job uses pad. With p the (extended or cut)
// permutation of length L:
//
//   contiguous  rank r: p[b_r, b_{r+1}),  b_r = r * (L / world) + min(r, L % world)
//   strided     rank r: p[r], p[r + world], p[r + 2 * world], ...
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
enum class uneven_shards { keep, pad, drop };

struct batcher_options {
  uint32_t batch_size = 64;
  uint64_t seed = 0;
  bool shuffle = true;
  bool drop_last = false;
  uint32_t rank = 0;   // this process, in [0, world)
  uint32_t world = 1;  // ranks sharing the data
  shard_mode mode = shard_mode::contiguous;
  uneven_shards uneven = uneven_shards::keep;
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
  uint64_t length() const; // L: the permutation's length after pad or drop
  uint64_t batches_for(uint64_t shard) const;

  uint64_t n_ = 0;
  batcher_options opts_;
};

const char* to_string(uneven_shards u);

} // namespace lagom::data
