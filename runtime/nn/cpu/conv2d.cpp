// conv2d on channel-major activations, by batch chunks: each OpenMP thread
// takes chunks of samples whose im2col (K, n*H*W) fits in its L2 cache, runs
// one single-threaded sgemm per chunk and finishes the chunk (bias, ReLU;
// col2im in backward) while it is still in cache. col is never kept: backward
// rebuilds it from the input. See kernels.hpp for the layouts.
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "nn/cpu/gemm.hpp"
#include "nn/cpu/kernels.hpp"
#include "nn/cpu/simd.hpp"

namespace lagom::nn::cpu {

namespace {

struct chunking {
  int per = 1, count = 1; // samples per chunk, chunks
};

// Chunks of at most ~1 MiB of col, as many as a multiple of the thread count.
chunking chunks_for(int B, int K, int HW) {
  const int T = omp_get_max_threads();
  const size_t budget = size_t(1) << 18; // floats
  const int max_per = int(std::max<size_t>(1, budget / (size_t(K) * HW)));
  int count = (B + max_per - 1) / max_per;
  count = std::min(B, (count + T - 1) / T * T);
  const int per = (B + count - 1) / count;
  return {per, (B + per - 1) / per};
}

} // namespace

// col row r = (c, kh, kw), column (b - b0, h, w) = inp[c][b][h + kh - pad][w + kw - pad],
// zero outside the image.
void im2col(float* col, const float* inp, int B, int C, int H, int W, int KS, int b0,
            int nb) {
  const int pad = KS / 2;
  const size_t HW = size_t(H) * W, N = size_t(nb) * HW;
  for (int r = 0; r < C * KS * KS; ++r) {
    const int c = r / (KS * KS), dy = (r / KS) % KS - pad, dx = r % KS - pad;
    const int w0 = std::max(0, -dx), w1 = std::min(W, W - dx);
    for (int b = 0; b < nb; ++b) {
      const float* src = inp + (size_t(c) * B + b0 + b) * HW;
      float* dst = col + size_t(r) * N + size_t(b) * HW;
      for (int h = 0; h < H; ++h) {
        float* d = dst + size_t(h) * W;
        const int ih = h + dy;
        if (ih < 0 || ih >= H) {
          std::memset(d, 0, sizeof(float) * W);
          continue;
        }
        const float* s = src + size_t(ih) * W + dx;
        for (int w = 0; w < w0; ++w) d[w] = 0.f;
        for (int w = w0; w < w1; ++w) d[w] = s[w];
        for (int w = w1; w < W; ++w) d[w] = 0.f;
      }
    }
  }
}

// The adjoint of im2col: every dinp value of samples b0 .. b0+nb is written.
void col2im(float* dinp, const float* dcol, int B, int C, int H, int W, int KS, int b0,
            int nb) {
  const int pad = KS / 2;
  const size_t HW = size_t(H) * W, N = size_t(nb) * HW;
  for (int c = 0; c < C; ++c) {
    for (int b = 0; b < nb; ++b) {
      float* d = dinp + (size_t(c) * B + b0 + b) * HW;
      std::memset(d, 0, sizeof(float) * HW);
      for (int k = 0; k < KS * KS; ++k) {
        const int dy = k / KS - pad, dx = k % KS - pad;
        const float* src = dcol + (size_t(c) * KS * KS + k) * N + size_t(b) * HW;
        const int w0 = std::max(0, -dx), w1 = std::min(W, W - dx);
        // col[h][w] came from inp[h + dy][w + dx]: send it back there.
        for (int h = std::max(0, -dy); h < std::min(H, H - dy); ++h) {
          const float* s = src + size_t(h) * W;
          float* o = d + size_t(h + dy) * W + dx;
          for (int w = w0; w < w1; ++w) o[w] += s[w];
        }
      }
    }
  }
}

void conv2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                    int B, int C, int H, int W, int OC, int KS, bool relu) {
  const int K = C * KS * KS, HW = H * W;
  const size_t S = size_t(B) * HW;
  const chunking ch = chunks_for(B, K, HW);
#pragma omp parallel for schedule(static)
  for (int t = 0; t < ch.count; ++t) {
    const int b0 = t * ch.per, nb = std::min(ch.per, B - b0);
    const int N = nb * HW;
    float* col = thread_scratch(0, size_t(K) * N);
    im2col(col, inp, B, C, H, W, KS, b0, nb);
    float* o = out + size_t(b0) * HW;
    gemm(false, false, OC, N, K, 1.f, weight, K, col, N, 0.f, o, int(S));
    for (int oc = 0; oc < OC; ++oc) {
      float* row = o + size_t(oc) * S;
      const float b = bias[oc];
      if (relu)
        for (int i = 0; i < N; ++i) row[i] = std::max(row[i] + b, 0.f);
      else
        for (int i = 0; i < N; ++i) row[i] += b;
    }
  }
}

// Each thread sums its chunks' dweight and dbias in scratch; the partial sums
// are then added in thread order, so the result does not depend on timing.
void conv2d_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                     const float* inp, const float* weight, int B, int C, int H, int W,
                     int OC, int KS) {
  const int K = C * KS * KS, HW = H * W;
  const size_t S = size_t(B) * HW, nacc = size_t(OC) * K + OC;
  const chunking ch = chunks_for(B, K, HW);
  const int T = omp_get_max_threads();
  float* partial[64] = {};
#pragma omp parallel num_threads(std::min(T, 64))
  {
    float* acc = thread_scratch(1, nacc); // dweight (OC, K), then dbias (OC)
    std::fill(acc, acc + nacc, 0.f);
    partial[omp_get_thread_num()] = acc;
#pragma omp for schedule(static)
    for (int t = 0; t < ch.count; ++t) {
      const int b0 = t * ch.per, nb = std::min(ch.per, B - b0);
      const int N = nb * HW;
      float* col = thread_scratch(0, size_t(K) * N);
      const float* d = dout + size_t(b0) * HW;
      im2col(col, inp, B, C, H, W, KS, b0, nb);
      // dweight (OC, K) += dout (OC, N) col^T (N, K)
      gemm(false, true, OC, K, N, 1.f, d, int(S), col, N, 1.f, acc, K);
      for (int oc = 0; oc < OC; ++oc) {
        acc[size_t(OC) * K + oc] += sum_run(d + size_t(oc) * S, size_t(N));
      }
      if (dinp) { // dcol (K, N) = weight^T (K, OC) dout (OC, N), into col
        gemm(true, false, K, N, OC, 1.f, weight, K, d, int(S), 0.f, col, N);
        col2im(dinp, col, B, C, H, W, KS, b0, nb);
      }
    }
    // implicit barrier: every partial is complete
    const int nt = omp_get_num_threads();
#pragma omp for schedule(static)
    for (size_t j = 0; j < nacc; ++j) {
      float s = 0.f;
      for (int i = 0; i < nt; ++i) s += partial[i][j];
      if (j < size_t(OC) * K)
        dweight[j] += s;
      else
        dbias[j - size_t(OC) * K] += s;
    }
  }
}

} // namespace lagom::nn::cpu
