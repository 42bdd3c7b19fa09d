// batchnorm over (N, C, S): statistics per channel c over all n and s.
// One thread owns a channel (no reduction across threads). Sums run in float
// over blocks of 512 values, then in double; the variance sums are of x - x0
// (x0 = the channel's first value), which keeps E[x^2] - E[x]^2 from cancelling
// when |mean| >> std.
#include <algorithm>
#include <cmath>

#include "nn/cpu/kernels.hpp"

namespace lagom::nn::cpu {

namespace {

constexpr int block = 512;

// sum (x - k), sum (x - k)^2 over n runs of S values, `stride` apart
void shifted_sums(const float* x, int N, int S, size_t stride, float k, double& s1,
                  double& s2) {
  s1 = s2 = 0;
  for (int n = 0; n < N; ++n) {
    const float* xn = x + n * stride;
    for (int s0 = 0; s0 < S; s0 += block) {
      const int e = std::min(S, s0 + block);
      float a = 0.f, b = 0.f;
#pragma omp simd reduction(+ : a, b)
      for (int s = s0; s < e; ++s) {
        const float d = xn[s] - k;
        a += d;
        b += d * d;
      }
      s1 += a, s2 += b;
    }
  }
}

// y = x * scale + shift over n runs
void affine(float* y, const float* x, int N, int S, size_t stride, float scale, float shift) {
  for (int n = 0; n < N; ++n) {
    const float* xn = x + n * stride;
    float* yn = y + n * stride;
#pragma omp simd
    for (int s = 0; s < S; ++s) yn[s] = xn[s] * scale + shift;
  }
}

} // namespace

void batchnorm_forward(float* out, float* mean, float* rstd, float* running_mean,
                       float* running_var, const float* inp, const float* weight,
                       const float* bias, int N, int C, int S, float eps, float momentum) {
  const double M = double(N) * S;
  const size_t stride = size_t(C) * S;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    const float* x = inp + size_t(c) * S;
    const float k = x[0];
    double s1, s2;
    shifted_sums(x, N, S, stride, k, s1, s2);
    const double d = s1 / M, mu = k + d, var = std::max(0.0, s2 / M - d * d);
    const float r = float(1.0 / std::sqrt(var + eps));
    mean[c] = float(mu);
    rstd[c] = r;
    const double unbiased = M > 1 ? var * M / (M - 1) : var;
    running_mean[c] = (1 - momentum) * running_mean[c] + momentum * float(mu);
    running_var[c] = (1 - momentum) * running_var[c] + momentum * float(unbiased);
    // out = (x - mu) r gamma + beta = x scale + shift
    const float scale = r * weight[c];
    affine(out + size_t(c) * S, x, N, S, stride, scale, bias[c] - float(mu) * scale);
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

// xhat = (x - mean) rstd;  dgamma += sum dy xhat;  dbeta += sum dy;
// dx = gamma rstd (dy - mean(dy) - xhat mean(dy xhat))
void batchnorm_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                        const float* inp, const float* mean, const float* rstd,
                        const float* weight, int N, int C, int S, bool relu_mask) {
  const double M = double(N) * S;
  const size_t stride = size_t(C) * S;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    const float mu = mean[c], r = rstd[c];
    double sdy = 0, sdyx = 0; // sum dy, sum dy (x - mu)
    for (int n = 0; n < N; ++n) {
      const float* x = inp + n * stride + size_t(c) * S;
      const float* dy = dout + n * stride + size_t(c) * S;
      for (int s0 = 0; s0 < S; s0 += block) {
        const int e = std::min(S, s0 + block);
        float a = 0.f, b = 0.f;
#pragma omp simd reduction(+ : a, b)
        for (int s = s0; s < e; ++s) {
          a += dy[s];
          b += dy[s] * (x[s] - mu);
        }
        sdy += a, sdyx += b;
      }
    }
    dbias[c] += float(sdy);
    dweight[c] += float(sdyx * r);
    // dx = k (dy - a - (x - mu) b): k = gamma r, a = mean(dy), b = r^2 mean(dy (x - mu))
    const float k = weight[c] * r, a = float(sdy / M), b = float(sdyx / M) * r * r;
    for (int n = 0; n < N; ++n) {
      const size_t o = n * stride + size_t(c) * S;
      const float* x = inp + o;
      const float* dy = dout + o;
      float* dx = dinp + o;
      if (relu_mask) { // x is a ReLU output: its gradient is 0 where x == 0
#pragma omp simd
        for (int s = 0; s < S; ++s)
          dx[s] = k * (dy[s] - a - (x[s] - mu) * b) * float(x[s] > 0.f);
      } else {
#pragma omp simd
        for (int s = 0; s < S; ++s) dx[s] = k * (dy[s] - a - (x[s] - mu) * b);
      }
    }
  }
}

} // namespace lagom::nn::cpu
