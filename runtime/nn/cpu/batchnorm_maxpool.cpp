// batchnorm then maxpool2d, fused: the conv stack's BN -> pool on channel-major
// activations. One thread owns a channel (B*H*W values, ~400 KB for the first
// block: it stays in L2 between the statistics and the pooling pass), and the
// full-size BN output is never written: only the pooled values and argmaxes.
// Same results as batchnorm_forward + maxpool2d_forward (up to rounding).
#include <cstring>

#include "nn/cpu/batchnorm_stats.hpp"
#include "nn/cpu/gemm.hpp"
#include "nn/cpu/kernels.hpp"
#include "nn/cpu/pool_window.hpp"

namespace lagom::nn::cpu {

void batchnorm_maxpool_forward(float* out, uint8_t* idx, float* mean, float* rstd,
                               float* running_mean, float* running_var, const float* inp,
                               const float* weight, const float* bias, int C, int B, int H,
                               int W, float eps, float momentum, bool train) {
  const int OH = H / 2, OW = W / 2;
  const size_t S = size_t(B) * H * W, OS = size_t(B) * OH * OW;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    const float* x = inp + size_t(c) * S;
    const channel_affine f = channel_stats(c, mean, rstd, running_mean, running_var, x, weight,
                                           bias, 1, int(S), S, eps, momentum, train);
    for (int b = 0; b < B; ++b)
      for (int oh = 0; oh < OH; ++oh) {
        const float* r0 = x + (size_t(b) * H + 2 * oh) * W;
        const size_t o = size_t(c) * OS + (size_t(b) * OH + oh) * OW;
        pool_row(out + o, idx + o, r0, r0 + W, OW, f.scale, f.shift);
      }
  }
}

// Per channel: the pooled gradient is expanded (dy = dout at each window's
// argmax, 0 elsewhere and on odd edges) into per-thread scratch that stays in
// L2, then the batchnorm backward of that channel reads it from there.
void batchnorm_maxpool_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                                const uint8_t* idx, const float* inp, const float* mean,
                                const float* rstd, const float* weight, int C, int B, int H,
                                int W, bool relu_mask) {
  const int OH = H / 2, OW = W / 2;
  const size_t S = size_t(B) * H * W, OS = size_t(B) * OH * OW;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    float* dy = thread_scratch(2, S);
    if (H % 2 || W % 2)
      std::memset(dy, 0, sizeof(float) * S);
    for (int b = 0; b < B; ++b)
      for (int oh = 0; oh < OH; ++oh) {
        float* r0 = dy + (size_t(b) * H + 2 * oh) * W;
        const size_t o = size_t(c) * OS + (size_t(b) * OH + oh) * OW;
        unpool_row(r0, r0 + W, dout + o, idx + o, OW);
      }
    channel_backward(dinp + size_t(c) * S, dweight[c], dbias[c], dy, inp + size_t(c) * S,
                     mean[c], rstd[c], weight[c], 1, int(S), S, relu_mask);
  }
}

} // namespace lagom::nn::cpu
