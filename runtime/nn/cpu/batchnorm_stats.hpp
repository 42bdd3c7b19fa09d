// Per-channel batchnorm statistics and backward, shared by batchnorm.cpp and
// batchnorm_maxpool.cpp (internal to the cpu backend). Sums run in float over
// blocks of 512 values, then in double; the variance sums are of x - x0 (x0 =
// the channel's first value), which keeps E[x^2] - E[x]^2 from cancelling when
// |mean| >> std.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "nn/cpu/simd.hpp"

namespace lagom::nn::cpu {

inline constexpr int block = 512;

// sum (x - k), sum (x - k)^2 over n runs of S values, `stride` apart
inline void shifted_sums(const float* x, int N, int S, size_t stride, float k, double& s1,
                  double& s2) {
  s1 = s2 = 0;
  for (int n = 0; n < N; ++n) {
    const float* xn = x + n * stride;
    for (int s0 = 0; s0 < S; s0 += block) {
      const int e = std::min(S, s0 + block);
      f4 a4 = splat(0.f), b4 = splat(0.f);
      int s = s0;
      for (; s + 4 <= e; s += 4) {
        const f4 d = load4(xn + s) - k;
        a4 += d;
        b4 += d * d;
      }
      float a = sum(a4), b = sum(b4);
      for (; s < e; ++s) {
        const float d = xn[s] - k;
        a += d;
        b += d * d;
      }
      s1 += a, s2 += b;
    }
  }
}

// y = x * scale + shift over n runs
inline void affine(float* y, const float* x, int N, int S, size_t stride, float scale,
                   float shift) {
  for (int n = 0; n < N; ++n) {
    const float* xn = x + n * stride;
    float* yn = y + n * stride;
#pragma omp simd
    for (int s = 0; s < S; ++s) yn[s] = xn[s] * scale + shift;
  }
}

// Batch statistics of one channel (train) or its running ones (eval), and the
// running update; returns the affine map y = x * scale + shift.
struct channel_affine { float scale, shift; };
inline channel_affine channel_stats(int c, float* mean, float* rstd, float* running_mean,
                             float* running_var, const float* x, const float* weight,
                             const float* bias, int N, int S, size_t stride, float eps,
                             float momentum, bool train) {
  if (train) {
    const double M = double(N) * S;
    const float k = x[0];
    double s1, s2;
    shifted_sums(x, N, S, stride, k, s1, s2);
    const double d = s1 / M, mu = k + d, var = std::max(0.0, s2 / M - d * d);
    mean[c] = float(mu);
    rstd[c] = float(1.0 / std::sqrt(var + eps));
    const double unbiased = M > 1 ? var * M / (M - 1) : var;
    running_mean[c] = (1 - momentum) * running_mean[c] + momentum * float(mu);
    running_var[c] = (1 - momentum) * running_var[c] + momentum * float(unbiased);
  } else {
    mean[c] = running_mean[c];
    rstd[c] = 1.f / std::sqrt(running_var[c] + eps);
  }
  const float scale = rstd[c] * weight[c];
  return {scale, bias[c] - mean[c] * scale};
}

// sum dy and sum dy (x - mu) of one channel.
inline void channel_grad_sums(const float* dy, const float* x, float mu, int N, int S,
                              size_t stride, double& sdy, double& sdyx) {
  sdy = 0, sdyx = 0;
  for (int n = 0; n < N; ++n) {
    const float* xn = x + n * stride;
    const float* dyn = dy + n * stride;
    for (int s0 = 0; s0 < S; s0 += block) {
      const int e = std::min(S, s0 + block);
      f4 a4 = splat(0.f), b4 = splat(0.f);
      int s = s0;
      for (; s + 4 <= e; s += 4) {
        const f4 d = load4(dyn + s);
        a4 += d;
        b4 += d * (load4(xn + s) - mu);
      }
      float a = sum(a4), b = sum(b4);
      for (; s < e; ++s) {
        a += dyn[s];
        b += dyn[s] * (xn[s] - mu);
      }
      sdy += a, sdyx += b;
    }
  }
}

// dx = k (dy - a - (x - mu) b): k = gamma r, a = sdy / M, b = r^2 sdyx / M, with the
// sums over the M values the statistics were taken over; times (x > 0) when
// relu_mask (x is a ReLU output). dx may alias dy.
inline void channel_grad_apply(float* dx, const float* dy, const float* x, float mu, float r,
                               float gamma, double sdy, double sdyx, double M, int N, int S,
                               size_t stride, bool relu_mask) {
  const float k = gamma * r, a = float(sdy / M), b = float(sdyx / M) * r * r;
  const float floor = relu_mask ? 0.f : -HUGE_VALF; // the gradient passes where x > floor
  for (int n = 0; n < N; ++n) {
    const float* xn = x + n * stride;
    const float* dyn = dy + n * stride;
    float* dxn = dx + n * stride;
#pragma omp simd
    for (int s = 0; s < S; ++s)
      dxn[s] = k * (dyn[s] - a - (xn[s] - mu) * b) * float(xn[s] > floor);
  }
}

// Backward of one channel (train mode): xhat = (x - mu) r;
// dgamma += sum dy xhat;  dbeta += sum dy;  dx = gamma r (dy - mean(dy) - xhat mean(dy xhat)),
// times (x > 0) when relu_mask (x is a ReLU output). dx may alias dy.
inline void channel_backward(float* dx, float& dgamma, float& dbeta, const float* dy,
                             const float* x, float mu, float r, float gamma, int N, int S,
                             size_t stride, bool relu_mask) {
  double sdy, sdyx; // sum dy, sum dy (x - mu)
  channel_grad_sums(dy, x, mu, N, S, stride, sdy, sdyx);
  dbeta += float(sdy);
  dgamma += float(sdyx * r);
  channel_grad_apply(dx, dy, x, mu, r, gamma, sdy, sdyx, double(N) * S, N, S, stride,
                     relu_mask);
}

} // namespace lagom::nn::cpu
