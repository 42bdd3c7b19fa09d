// batchnorm over (N, C, S): statistics per channel c over all n and s.
// One thread owns a channel (no reduction across threads); batchnorm_stats.hpp
// has the statistics.
#include <algorithm>
#include <cmath>

#include "nn/cpu/batchnorm_stats.hpp"
#include "nn/cpu/kernels.hpp"

namespace lagom::nn::cpu {

void batchnorm_forward(float* out, float* mean, float* rstd, float* running_mean,
                       float* running_var, const float* inp, const float* weight,
                       const float* bias, int N, int C, int S, float eps, float momentum) {
  const size_t stride = size_t(C) * S;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    const float* x = inp + size_t(c) * S;
    const channel_affine f = channel_stats(c, mean, rstd, running_mean, running_var, x, weight,
                                           bias, N, S, stride, eps, momentum, true);
    affine(out + size_t(c) * S, x, N, S, stride, f.scale, f.shift);
  }
}

void batchnorm_inference(float* out, const float* inp, const float* weight,
                         const float* bias, const float* running_mean,
                         const float* running_var, int N, int C, int S, float eps) {
  const size_t stride = size_t(C) * S;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    const float scale = weight[c] / std::sqrt(running_var[c] + eps);
    affine(out + size_t(c) * S, inp + size_t(c) * S, N, S, stride, scale,
           bias[c] - running_mean[c] * scale);
  }
}

void batchnorm_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                        const float* inp, const float* mean, const float* rstd,
                        const float* weight, int N, int C, int S, bool relu_mask) {
  const size_t stride = size_t(C) * S;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    const size_t o = size_t(c) * S;
    channel_backward(dinp + o, dweight[c], dbias[c], dout + o, inp + o, mean[c], rstd[c],
                     weight[c], N, S, stride, relu_mask);
  }
}

void batchnorm_sums(double* sums, const float* inp, const float* shift, int N, int C, int S) {
  const size_t stride = size_t(C) * S;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c)
    shifted_sums(inp + size_t(c) * S, N, S, stride, shift[c], sums[c], sums[C + c]);
}

void batchnorm_grad_sums(double* sums, const float* dout, const float* inp, const float* mean,
                         int N, int C, int S) {
  const size_t stride = size_t(C) * S;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    const size_t o = size_t(c) * S;
    channel_grad_sums(dout + o, inp + o, mean[c], N, S, stride, sums[c], sums[C + c]);
  }
}

void batchnorm_backward_global(float* dinp, float* dweight, float* dbias, const float* dout,
                               const float* inp, const float* mean, const float* rstd,
                               const float* weight, const double* local, const double* global,
                               double count, int N, int C, int S, bool relu_mask) {
  const size_t stride = size_t(C) * S;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    const size_t o = size_t(c) * S;
    dbias[c] += float(local[c]);
    dweight[c] += float(local[C + c] * rstd[c]);
    channel_grad_apply(dinp + o, dout + o, inp + o, mean[c], rstd[c], weight[c], global[c],
                       global[C + c], count, N, S, stride, relu_mask);
  }
}

} // namespace lagom::nn::cpu
