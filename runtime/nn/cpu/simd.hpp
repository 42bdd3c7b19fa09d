// f4: four floats as one GCC vector (SSE on x86-64, NEON on arm64, plain code
// elsewhere), for the loops GCC's auto-vectorizer leaves scalar: 2x2 pooling
// rows (14 or 7 windows, pairs at stride 2) and float sums (an `omp simd`
// reduction spills its lanes to the stack). Each use has a plain loop for the
// last few elements and is checked against plain kernels in the tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lagom::nn::cpu {

typedef float f4 __attribute__((vector_size(16)));
typedef int32_t i4 __attribute__((vector_size(16))); // comparisons: -1 true, 0 false

inline f4 load4(const float* p) {
  f4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store4(float* p, f4 v) { std::memcpy(p, &v, sizeof v); }
inline f4 splat(float x) { return f4{x, x, x, x}; }
/// Elements 0, 2, 4, 6 and 1, 3, 5, 7 of the 8 floats lo:hi.
inline f4 evens(f4 lo, f4 hi) { return __builtin_shufflevector(lo, hi, 0, 2, 4, 6); }
inline f4 odds(f4 lo, f4 hi) { return __builtin_shufflevector(lo, hi, 1, 3, 5, 7); }
/// The inverse: stores e0 o0 e1 o1 e2 o2 e3 o3 at p.
inline void store_interleaved(float* p, f4 e, f4 o) {
  store4(p, __builtin_shufflevector(e, o, 0, 4, 1, 5));
  store4(p + 4, __builtin_shufflevector(e, o, 2, 6, 3, 7));
}
inline float sum(f4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }
inline f4 select(i4 mask, f4 a, f4 b) { return mask ? a : b; }
/// 1.f where mask is true, else 0.f.
inline f4 ones(i4 mask) { return select(mask, splat(1.f), splat(0.f)); }
/// Four small non-negative ints (0..255) stored as bytes.
inline void store_bytes(uint8_t* p, i4 k) {
  for (int j = 0; j < 4; ++j) p[j] = uint8_t(k[j]);
}
inline i4 load_bytes(const uint8_t* p) { return i4{p[0], p[1], p[2], p[3]}; }

/// x[0] + ... + x[n-1] in float, four lanes at a time.
inline float sum_run(const float* x, size_t n) {
  f4 acc = splat(0.f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) acc += load4(x + i);
  float s = sum(acc);
  for (; i < n; ++i) s += x[i];
  return s;
}

} // namespace lagom::nn::cpu
