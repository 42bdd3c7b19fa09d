// data::batcher: the epoch permutation, shards and batches drawn in batcher.hpp.
#include "data/batcher.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <string>

namespace lagom::data {

namespace {

// splitmix64 (Steele, Lea, Flood 2014): a 64-bit state stepped by a constant
// and mixed; fixed arithmetic, so the same sequence on every platform.
class splitmix64 {
public:
  explicit splitmix64(uint64_t state) : state_(state) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, bound), bound > 0: rejection keeps it unbiased.
  uint64_t below(uint64_t bound) {
    const uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
    for (;;) {
      uint64_t r = next();
      if (r >= threshold)
        return r % bound;
    }
  }

private:
  uint64_t state_;
};

// The generator's start for (seed, epoch): both pass through the mixer so
// neighbouring seeds and epochs give unrelated streams.
uint64_t stream_start(uint64_t seed, uint64_t epoch) {
  uint64_t a = splitmix64(seed).next();
  return splitmix64(a ^ (epoch * 0xD1B54A32D192ED03ull)).next();
}

} // namespace

status batcher::open(uint64_t samples, const batcher_options& opts, batcher& out) {
  if (opts.batch_size == 0)
    return status::error(errc::invalid_argument, "must be at least 1", "batcher_options.batch_size");
  if (opts.world == 0)
    return status::error(errc::invalid_argument, "must be at least 1", "batcher_options.world");
  if (opts.rank >= opts.world)
    return status::error(errc::invalid_argument,
                         "rank " + std::to_string(opts.rank) + " is not below world " +
                             std::to_string(opts.world),
                         "batcher_options.rank");
  if (samples > std::numeric_limits<uint32_t>::max())
    return status::error(errc::invalid_argument,
                         std::to_string(samples) + " samples do not fit a uint32 index",
                         "samples");
  out.n_ = samples;
  out.opts_ = opts;
  return status::ok();
}

std::vector<uint32_t> batcher::permutation(uint64_t epoch) const {
  std::vector<uint32_t> perm(n_);
  std::iota(perm.begin(), perm.end(), 0u);
  if (!opts_.shuffle || n_ < 2)
    return perm;
  splitmix64 rng(stream_start(opts_.seed, epoch));
  for (uint64_t i = n_ - 1; i > 0; --i)
    std::swap(perm[i], perm[rng.below(i + 1)]);
  return perm;
}

uint64_t batcher::length() const {
  const uint64_t w = opts_.world;
  switch (opts_.uneven) {
    case uneven_shards::pad: return (n_ + w - 1) / w * w;
    case uneven_shards::drop: return n_ / w * w;
    case uneven_shards::keep: break;
  }
  return n_;
}

uint64_t batcher::shard_size(uint32_t rank) const {
  const uint64_t w = opts_.world, L = length();
  return L / w + (rank < L % w ? 1 : 0);
}

std::vector<uint32_t> batcher::shard(uint64_t epoch) const {
  std::vector<uint32_t> perm = permutation(epoch);
  const uint64_t w = opts_.world, r = opts_.rank, L = length();
  std::vector<uint32_t> mine;
  const uint64_t size = shard_size(opts_.rank);
  mine.reserve(size);
  if (n_ == 0)
    return mine;
  // p[i] = perm[i % n]: pad repeats the permutation's start; L <= n otherwise.
  if (opts_.mode == shard_mode::contiguous) {
    const uint64_t begin = r * (L / w) + std::min(r, L % w);
    for (uint64_t i = begin; i < begin + size; ++i)
      mine.push_back(perm[i % n_]);
  } else {
    for (uint64_t i = r; i < L; i += w)
      mine.push_back(perm[i % n_]);
  }
  return mine;
}

std::vector<std::vector<uint32_t>> batcher::batches(uint64_t epoch) const {
  std::vector<uint32_t> mine = shard(epoch);
  std::vector<std::vector<uint32_t>> out;
  out.reserve(batches_for(mine.size()));
  const uint64_t b = opts_.batch_size;
  for (uint64_t at = 0; at < mine.size(); at += b) {
    const uint64_t end = std::min<uint64_t>(at + b, mine.size());
    if (end - at < b && opts_.drop_last)
      break;
    out.emplace_back(mine.begin() + static_cast<std::ptrdiff_t>(at),
                     mine.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return out;
}

uint64_t batcher::batches_for(uint64_t shard) const {
  const uint64_t b = opts_.batch_size;
  return opts_.drop_last ? shard / b : (shard + b - 1) / b;
}

uint64_t batcher::common_batches() const {
  // Rank world-1 always has the smallest shard (sizes only ever go down).
  return batches_for(shard_size(opts_.world - 1));
}

const char* to_string(uneven_shards u) {
  switch (u) {
    case uneven_shards::pad: return "pad";
    case uneven_shards::drop: return "drop";
    case uneven_shards::keep: break;
  }
  return "keep";
}

} // namespace lagom::data
