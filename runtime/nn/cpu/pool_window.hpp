// 2x2 / stride-2 max pooling of one row pair, forward and backward (internal
// to the cpu backend: maxpool2d.cpp, batchnorm_maxpool.cpp).
//
// pool_row: one row of windows: window ow covers r0[2ow],
// r0[2ow+1], r1[2ow], r1[2ow+1] (argmax offsets 0..3), each first mapped by
// x * scale + shift (scale 1, shift 0 is exact: plain maxpool). Ties go to the
// lower offset, as in PyTorch. Branch-free (argmaxes are random), four windows
// per step.
#pragma once

#include <cstdint>

#include "nn/cpu/simd.hpp"

namespace lagom::nn::cpu {

inline void pool_row(float* o, uint8_t* ix, const float* r0, const float* r1, int OW,
                     float scale, float shift) {
  int ow = 0;
  for (; ow + 4 <= OW; ow += 4) {
    const f4 t0 = load4(r0 + 2 * ow), t1 = load4(r0 + 2 * ow + 4);
    const f4 u0 = load4(r1 + 2 * ow), u1 = load4(r1 + 2 * ow + 4);
    const f4 a = evens(t0, t1) * scale + shift, b = odds(t0, t1) * scale + shift;
    const f4 c = evens(u0, u1) * scale + shift, d = odds(u0, u1) * scale + shift;
    const i4 ba = b > a, dc = d > c;
    const f4 m01 = select(ba, b, a), m23 = select(dc, d, c);
    const i4 hi = m23 > m01;
    store4(o + ow, select(hi, m23, m01));
    store_bytes(ix + ow, hi ? 2 - dc : -ba); // masks are -1 where true
  }
  for (; ow < OW; ++ow) {
    const float a = r0[2 * ow] * scale + shift, b = r0[2 * ow + 1] * scale + shift;
    const float c = r1[2 * ow] * scale + shift, d = r1[2 * ow + 1] * scale + shift;
    const bool ba = b > a, dc = d > c;
    const float m01 = ba ? b : a, m23 = dc ? d : c;
    const bool hi = m23 > m01;
    o[ow] = hi ? m23 : m01;
    ix[ow] = uint8_t(hi ? 2 + dc : ba);
  }
}

// The gradient of pool_row: g[ow] goes to the argmax of window ow, zeros to the
// other three (r0, r1 are the two rows of the input gradient).
inline void unpool_row(float* r0, float* r1, const float* g, const uint8_t* ix, int OW) {
  int ow = 0;
  for (; ow + 4 <= OW; ow += 4) {
    const f4 v = load4(g + ow), zero = splat(0.f);
    const i4 k = load_bytes(ix + ow);
    store_interleaved(r0 + 2 * ow, select(k == 0, v, zero), select(k == 1, v, zero));
    store_interleaved(r1 + 2 * ow, select(k == 2, v, zero), select(k == 3, v, zero));
  }
  for (; ow < OW; ++ow) {
    const float v = g[ow];
    const int k = ix[ow];
    r0[2 * ow] = k == 0 ? v : 0.f;
    r0[2 * ow + 1] = k == 1 ? v : 0.f;
    r1[2 * ow] = k == 2 ? v : 0.f;
    r1[2 * ow + 1] = k == 3 ? v : 0.f;
  }
}

} // namespace lagom::nn::cpu
