// relu and the flatten transposes: memory-bound loops split over the threads.
#include <algorithm>
#include <cstring>

#include "nn/cpu/kernels.hpp"
#include "nn/cpu/parallel.hpp"

namespace lagom::nn::cpu {

void relu_forward(float* out, const float* inp, size_t n) {
  parallel_for(n, 32768, [=](size_t lo, size_t hi) {
#pragma omp simd
    for (size_t i = lo; i < hi; ++i) out[i] = inp[i] > 0.f ? inp[i] : 0.f;
  });
}

void relu_backward(float* dinp, const float* dout, const float* out, size_t n) {
  parallel_for(n, 32768, [=](size_t lo, size_t hi) {
#pragma omp simd
    for (size_t i = lo; i < hi; ++i) {
      const float d = dout[i]; // loaded unconditionally: the select vectorizes
      dinp[i] = out[i] > 0.f ? d : 0.f;
    }
  });
}

// out (B, C, HW) <- inp (C, B, HW): one HW run copied per (b, c).
void nchw_from_cnhw(float* out, const float* inp, int B, int C, int HW) {
#pragma omp parallel for schedule(static) if (size_t(B) * C * HW > 32768)
  for (int b = 0; b < B; ++b)
    for (int c = 0; c < C; ++c)
      std::memcpy(out + (size_t(b) * C + c) * HW, inp + (size_t(c) * B + b) * HW,
                  sizeof(float) * HW);
}

// out (C, B, HW) <- inp (B, C, HW)
void cnhw_from_nchw(float* out, const float* inp, int B, int C, int HW) {
#pragma omp parallel for schedule(static) if (size_t(B) * C * HW > 32768)
  for (int c = 0; c < C; ++c)
    for (int b = 0; b < B; ++b)
      std::memcpy(out + (size_t(c) * B + b) * HW, inp + (size_t(b) * C + c) * HW,
                  sizeof(float) * HW);
}

} // namespace lagom::nn::cpu
