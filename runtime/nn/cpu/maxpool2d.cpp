// maxpool2d, 2x2 windows, stride 2, over P independent (H, W) planes.
// The argmax is kept as the window offset 0..3 (dy * 2 + dx): one byte each.
#include <algorithm>
#include <cstring>

#include "nn/cpu/kernels.hpp"
#include "nn/cpu/pool_window.hpp"

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
      pool_row(o, ix, r0, r1, OW, 1.f, 0.f);
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
      const size_t o = (size_t(p) * OH + oh) * OW;
      unpool_row(r0, r0 + W, dout + o, idx + o, OW);
    }
  }
}

} // namespace lagom::nn::cpu
