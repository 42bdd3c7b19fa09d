// Row-major sgemm, the one BLAS call the cpu kernels make:
//   C (M, N) = alpha * op(A) (M, K) * op(B) (K, N) + beta * C,  op(X) = X or X^T.
//
// OpenBLAS runs single-threaded (set once when the library loads, and by
// cpu::set_num_threads): the kernels split work over OpenMP threads
// themselves. Two thread pools on two cores fight: OpenBLAS's idle workers
// spin in sched_yield while OpenMP's want the same core (measured on an early
// version: the CNN step took 1.4x as long with both pools as with OpenMP alone).
#pragma once

#include <cstddef>

namespace lagom::nn::cpu {

/// One sgemm in the calling thread.
void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
          int lda, const float* B, int ldb, float beta, float* C, int ldc);

/// The same product, C split into column blocks (or row blocks when M > N)
/// over the OpenMP threads; each block is one gemm. Call outside parallel regions.
void parallel_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                   const float* A, int lda, const float* B, int ldb, float beta, float* C,
                   int ldc);

/// Per-thread scratch that grows on first use and is then reused. Slots: 0 conv2d
/// im2col, 1 conv2d partial sums, 2 batchnorm_maxpool_backward dy, 3 free.
float* thread_scratch(int slot, size_t n);

} // namespace lagom::nn::cpu
