// dense (fully connected): out (B, OC) = inp (B, C) weight^T (C, OC) + bias.
// The three sgemms are split over the threads by output blocks.
#include <algorithm>

#include "nn/cpu/gemm.hpp"
#include "nn/cpu/kernels.hpp"

namespace lagom::nn::cpu {

void dense_forward(float* out, const float* inp, const float* weight, const float* bias,
                   int B, int C, int OC, bool relu) {
  parallel_gemm(false, true, B, OC, C, 1.f, inp, C, weight, C, 0.f, out, OC);
  for (int b = 0; b < B; ++b) {
    float* o = out + size_t(b) * OC;
    if (relu)
#pragma omp simd
      for (int j = 0; j < OC; ++j) o[j] = std::max(o[j] + bias[j], 0.f);
    else
#pragma omp simd
      for (int j = 0; j < OC; ++j) o[j] += bias[j];
  }
}

void dense_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                    const float* inp, const float* weight, int B, int C, int OC) {
  for (int b = 0; b < B; ++b) {
    const float* d = dout + size_t(b) * OC;
#pragma omp simd
    for (int j = 0; j < OC; ++j) dbias[j] += d[j];
  }
  // dweight (OC, C) += dout^T (OC, B) inp (B, C)
  parallel_gemm(true, false, OC, C, B, 1.f, dout, OC, inp, C, 1.f, dweight, C);
  // dinp (B, C) = dout (B, OC) weight (OC, C)
  if (dinp)
    parallel_gemm(false, false, B, C, OC, 1.f, dout, OC, weight, C, 0.f, dinp, C);
}

} // namespace lagom::nn::cpu
