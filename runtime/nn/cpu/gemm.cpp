// gemm, parallel_gemm, thread_scratch and the thread settings.
#include "nn/cpu/gemm.hpp"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <vector>

#include "nn/cpu/kernels.hpp"

namespace lagom::nn::cpu {

namespace {
// OpenBLAS single-threaded from the start (see gemm.hpp).
const int blas_single_threaded = (openblas_set_num_threads(1), 0);
} // namespace

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
          int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  (void)blas_single_threaded;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C,
              ldc);
}

void parallel_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                   const float* A, int lda, const float* B, int ldb, float beta, float* C,
                   int ldc) {
  const int T = omp_get_max_threads();
  const double flops = 2.0 * M * N * K;
  if (T == 1 || flops < 2e6) {
    gemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  const bool by_cols = N >= M;
  const int len = by_cols ? N : M;
  const int block = (len + T - 1) / T;
#pragma omp parallel num_threads(T)
  {
    const int t = omp_get_thread_num();
    const int lo = std::min(len, t * block), hi = std::min(len, lo + block);
    if (lo < hi) {
      if (by_cols) // C[:, lo:hi] = op(A) op(B)[:, lo:hi]
        gemm(trans_a, trans_b, M, hi - lo, K, alpha, A, lda,
             trans_b ? B + size_t(lo) * ldb : B + lo, ldb, beta, C + lo, ldc);
      else         // C[lo:hi, :] = op(A)[lo:hi, :] op(B)
        gemm(trans_a, trans_b, hi - lo, N, K, alpha,
             trans_a ? A + lo : A + size_t(lo) * lda, lda, B, ldb, beta,
             C + size_t(lo) * ldc, ldc);
    }
  }
}

float* thread_scratch(int slot, size_t n) {
  thread_local std::vector<float> slots[4];
  std::vector<float>& v = slots[slot];
  if (v.size() < n)
    v.resize(n);
  return v.data();
}

void set_num_threads(int n) {
  if (n <= 0)
    return;
  omp_set_num_threads(n);
  openblas_set_num_threads(1);
}

int num_threads() { return omp_get_max_threads(); }

} // namespace lagom::nn::cpu
