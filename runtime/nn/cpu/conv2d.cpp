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

// A (kh, kw) shift of one H x W plane is one contiguous run: rows h0 .. h1-1
// of the output read rows h0+dy .. of the input, every element moved by dx, so
// a single copy of L*W - |dx| floats does all of them; the |dx| elements per row
// that wrapped around to the neighbouring row are then fixed up.
// A few zeros (a row or two), inline: a memset call costs more than the stores.
inline void zero(float* p, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) store4(p + i, splat(0.f));
  for (; i < n; ++i) p[i] = 0.f;
}

struct shift {
  int dy, dx, h0, h1; // output rows h0 .. h1-1 have an input row
  shift(int k, int KS, int H) : dy(k / KS - KS / 2), dx(k % KS - KS / 2) {
    h0 = dy < 0 ? -dy : 0;
    h1 = dy > 0 ? H - dy : H;
  }
};

// col row r = (c, kh, kw), column (b - b0, h, w) = inp[c][b][h + kh - pad][w + kw - pad],
// zero outside the image.
void im2col(float* col, const float* inp, int B, int C, int H, int W, int KS, int b0,
            int nb) {
  const size_t HW = size_t(H) * W, N = size_t(nb) * HW;
  for (int r = 0; r < C * KS * KS; ++r) {
    const int c = r / (KS * KS);
    const shift sh(r % (KS * KS), KS, H);
    const int adx = sh.dx < 0 ? -sh.dx : sh.dx;
    for (int b = 0; b < nb; ++b) {
      const float* src = inp + (size_t(c) * B + b0 + b) * HW;
      float* dst = col + size_t(r) * N + size_t(b) * HW;
      if (sh.h0 >= sh.h1 || adx >= W) { // the shift leaves the image
        zero(dst, HW);
        continue;
      }
      zero(dst, size_t(sh.h0) * W);
      zero(dst + size_t(sh.h1) * W, size_t(H - sh.h1) * W);
      const size_t n = size_t(sh.h1 - sh.h0) * W - adx;
      float* d = dst + size_t(sh.h0) * W;
      const float* s = src + size_t(sh.h0 + sh.dy) * W;
      if (sh.dx >= 0) // d[w] = s[w + dx]; columns w >= W - dx are outside
        std::memcpy(d, s + sh.dx, sizeof(float) * n);
      else            // d[w] = s[w - |dx|]; columns w < |dx| are outside
        std::memcpy(d + adx, s, sizeof(float) * n);
      for (int h = sh.h0; h < sh.h1; ++h)
        for (int j = 0; j < adx; ++j)
          dst[size_t(h) * W + (sh.dx > 0 ? W - 1 - j : j)] = 0.f;
    }
  }
}

// The adjoint of im2col: every dinp value of samples b0 .. b0+nb is written.
// dcol is scratch: its entries that came from outside the image are zeroed
// first, so that each shift is again one contiguous add.
void col2im(float* dinp, float* dcol, int B, int C, int H, int W, int KS, int b0, int nb) {
  const size_t HW = size_t(H) * W, N = size_t(nb) * HW;
  for (int c = 0; c < C; ++c) {
    for (int b = 0; b < nb; ++b) {
      float* d = dinp + (size_t(c) * B + b0 + b) * HW;
      // the centre shift (0, 0) covers the whole plane: copy it, then add the others
      const int centre = KS * KS / 2;
      std::memcpy(d, dcol + (size_t(c) * KS * KS + centre) * N + size_t(b) * HW,
                  sizeof(float) * HW);
      for (int k = 0; k < KS * KS; ++k) {
        if (k == centre)
          continue;
        const shift sh(k, KS, H);
        const int adx = sh.dx < 0 ? -sh.dx : sh.dx;
        if (sh.h0 >= sh.h1 || adx >= W)
          continue;
        float* src = dcol + (size_t(c) * KS * KS + k) * N + size_t(b) * HW;
        for (int h = sh.h0; h < sh.h1; ++h)
          for (int j = 0; j < adx; ++j)
            src[size_t(h) * W + (sh.dx > 0 ? W - 1 - j : j)] = 0.f;
        const size_t n = size_t(sh.h1 - sh.h0) * W - adx;
        const float* s = src + size_t(sh.h0) * W;
        float* o = d + size_t(sh.h0 + sh.dy) * W;
        if (sh.dx >= 0)
          o += sh.dx;
        else
          s += adx;
#pragma omp simd
        for (size_t i = 0; i < n; ++i) o[i] += s[i];
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
