// Inverted dropout with a counter-based RNG: element i is kept when a hash of
// (seed, i) is at or above p * 2^31 (31-bit draws). No RNG state is shared
// between threads, so the mask is the same for any thread count and split.
// The hash is murmur3's fmix32 (a bijection with full avalanche; its 32-bit
// multiplies vectorize on SSE4.1) of i * golden ratio, xor a key from the seed.
#include <algorithm>

#include "nn/cpu/kernels.hpp"
#include "nn/cpu/parallel.hpp"

namespace lagom::nn::cpu {

namespace {
inline uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  return h ^ (h >> 16);
}
} // namespace

void dropout_forward(float* out, uint8_t* mask, const float* inp, size_t n, float p,
                     uint64_t seed) {
  // 31-bit draws compared as int32 (SSE has no unsigned compare)
  const int32_t threshold = int32_t(std::min(double(p) * 2147483648.0, 2147483647.0));
  const float scale = 1.f / (1.f - p);
  const uint32_t key = fmix32(fmix32(uint32_t(seed) ^ 0x9e3779b9u) ^ uint32_t(seed >> 32));
  parallel_for(n, 32768, [=](size_t lo, size_t hi) {
    // locals, not the closure's members: a byte store may alias the closure
    uint8_t* const m = mask;
    float* const o = out;
    const float* const x = inp;
#pragma omp simd
    for (uint32_t i = uint32_t(lo); i < uint32_t(hi); ++i) { // n < 2^31 (the model's limit)
      const uint32_t h = fmix32((i * 0x9e3779b9u) ^ key);
      const int32_t keep = int32_t(h >> 1) >= threshold;
      m[i] = uint8_t(keep);
      o[i] = x[i] * (scale * float(keep));
    }
  });
}

void dropout_backward(float* dinp, const float* dout, const uint8_t* mask, size_t n,
                      float p) {
  const float scale = 1.f / (1.f - p);
  parallel_for(n, 32768, [=](size_t lo, size_t hi) {
#pragma omp simd
    for (size_t i = lo; i < hi; ++i) {
      const float d = dout[i];
      dinp[i] = mask[i] ? d * scale : 0.f;
    }
  });
}

} // namespace lagom::nn::cpu
