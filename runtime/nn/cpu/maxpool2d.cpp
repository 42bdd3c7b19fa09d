// maxpool2d, 2x2 windows, stride 2, over P independent (H, W) planes.
// The argmax is kept as the window offset 0..3 (dy * 2 + dx): one byte each;
// ties go to the first offset, as in PyTorch. Branch-free (argmaxes are random).
#include <algorithm>
#include <cstring>

#include "nn/cpu/kernels.hpp"

namespace lagom::nn::cpu {

void maxpool2d_forward(float* out, uint8_t* idx, const float* inp, int P, int H, int W) {
  const int OH = H / 2, OW = W / 2;
#pragma omp parallel for schedule(static)
  for (int p = 0; p < P; ++p) {
    for (int oh = 0; oh < OH; ++oh) {
      const float* r0 = inp + (size_t(p) * H + 2 * oh) * W;
      const float* r1 = r0 + W;
      float* o = out + (size_t(p) * OH + oh) * OW;
      uint8_t* ix = idx + (size_t(p) * OH + oh) * OW;
#pragma omp simd
      for (int ow = 0; ow < OW; ++ow) {
        const float a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
        const bool ba = b > a, dc = d > c;
        const float m01 = ba ? b : a, m23 = dc ? d : c;
        const bool hi = m23 > m01;
        o[ow] = hi ? m23 : m01;
        ix[ow] = uint8_t(hi ? 2 + dc : ba);
      }
    }
  }
}

void maxpool2d_backward(float* dinp, const float* dout, const uint8_t* idx, int P, int H,
                        int W) {
  const int OH = H / 2, OW = W / 2;
#pragma omp parallel for schedule(static)
  for (int p = 0; p < P; ++p) {
    float* d = dinp + size_t(p) * H * W;
    if (H % 2 || W % 2)
      std::memset(d, 0, sizeof(float) * H * W); // rows/columns no window covers
    for (int oh = 0; oh < OH; ++oh) {
      float* r0 = d + size_t(2 * oh) * W;
      float* r1 = r0 + W;
      const float* g = dout + (size_t(p) * OH + oh) * OW;
      const uint8_t* ix = idx + (size_t(p) * OH + oh) * OW;
#pragma omp simd
      for (int ow = 0; ow < OW; ++ow) {
        const float v = g[ow];
        const float k = ix[ow]; // compared as float: GCC then vectorizes the selects
        r0[2 * ow] = k == 0.f ? v : 0.f;
        r0[2 * ow + 1] = k == 1.f ? v : 0.f;
        r1[2 * ow] = k == 2.f ? v : 0.f;
        r1[2 * ow + 1] = k == 3.f ? v : 0.f;
      }
    }
  }
}

} // namespace lagom::nn::cpu
