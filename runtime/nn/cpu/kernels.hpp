// lagom::nn::cpu: the reference CPU kernels (OpenBLAS sgemm + OpenMP loops).
//
// The reference backend: a cuda/ one provides the same functions (see
// nn/backend.hpp) and is checked against these. None checks its arguments (the
// model validates shapes once). None allocates in steady state: conv2d and the
// fused batchnorm+maxpool keep per-thread scratch (< 2 MB) that grows on first
// use. Loops the compiler vectorizes poorly use f4 vectors (simd.hpp); the
// tests compare every kernel with finite differences or a plain version.
//
// One signature, as in llm.c: outputs first, then inputs, then dimensions.
//   <op>_forward(out, <saved for backward>, inp, weight, bias, dims...)
//   <op>_backward(dinp, dweight, dbias, <scratch>, dout, <saved>, weight, dims...)
// Parameter gradients (dweight, dbias) are ACCUMULATED (+=): micro-batches add up
// and zero_grad clears them. Input gradients (dinp) are OVERWRITTEN: in a
// sequential net every activation has exactly one consumer, so there is nothing
// to add to and no need to clear activation gradients each step. dinp may be
// nullptr where noted (the first layer needs no input gradient).
//
// Dimension legend
//   B  batch               C  input channels / features   OC  output channels / features
//   H, W  spatial size     S  = B*H*W positions per channel
//   KS kernel size (odd; same padding KS/2, stride 1)      K  = C*KS*KS im2col rows
//   P  planes = C*B        V  classes                      n  element count
// Layouts
//   channel-major (C, B, H, W): the conv stack's activations; a channel is one
//     contiguous run of S floats, so BN statistics and im2col read contiguously.
//     The model's NCHW input equals this layout when C == 1.
//   rows (B, C): flat features after flatten.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lagom::nn::cpu {

// ---- conv2d: same padding, stride 1 ---------------------------------------------
// out (OC, B, H, W)  inp (C, B, H, W)  weight (OC, K)  bias (OC)
// relu: out = max(0, conv + bias) (fused). Per batch chunk: im2col into per-thread
// scratch (~1 MiB, grown once) and one sgemm.
void conv2d_forward(float* out, const float* inp, const float* weight, const float* bias,
                    int B, int C, int H, int W, int OC, int KS, bool relu);
// dout (OC, B, H, W) is the gradient after any fused ReLU was undone. inp is the
// forward's input (col is rebuilt from it). dinp (C, B, H, W) may be nullptr.
void conv2d_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                     const float* inp, const float* weight, int B, int C, int H, int W,
                     int OC, int KS);
// Samples b0 .. b0+nb-1 only: col (K, nb*H*W) <- inp (C, B, H, W), and its adjoint
// dinp (C, B, H, W) <- dcol (K, nb*H*W) (those samples' values are overwritten;
// dcol is scratch: col2im zeroes its entries that fall outside the image).
void im2col(float* col, const float* inp, int B, int C, int H, int W, int KS, int b0, int nb);
void col2im(float* dinp, float* dcol, int B, int C, int H, int W, int KS, int b0, int nb);

// ---- batchnorm: element (n, c, s) at (n*C + c)*S + s ----------------------------
// Channel-major activations: N = 1, C channels, S = B*H*W. Rows: N = B, S = 1.
// Train: batch statistics; saves mean (C), rstd (C) = 1/sqrt(var + eps); updates
// running_mean/var (C) as r = (1 - momentum) r + momentum * batch (running var
// takes the unbiased batch variance, as PyTorch does).
void batchnorm_forward(float* out, float* mean, float* rstd, float* running_mean,
                       float* running_var, const float* inp, const float* weight,
                       const float* bias, int N, int C, int S, float eps, float momentum);
// Eval: running statistics.
void batchnorm_inference(float* out, const float* inp, const float* weight,
                         const float* bias, const float* running_mean,
                         const float* running_var, int N, int C, int S, float eps);
// Train-mode backward. dinp may alias dout. relu_mask: when true, dinp is also
// multiplied by (inp > 0), i.e. the ReLU that produced inp is undone here too.
void batchnorm_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                        const float* inp, const float* mean, const float* rstd,
                        const float* weight, int N, int C, int S, bool relu_mask);

// ---- batchnorm over several ranks (sync_bn): the statistics of the global batch ----
// Each rank sums its own batch, the caller adds the sums of every rank (an
// all-reduce), then normalises with them (forward: batchnorm_inference or
// batchnorm_maxpool_forward in eval mode over the global mean and biased
// variance; backward: batchnorm_backward_global).
// sums (2C): per channel sum (x - shift[c]), then sum (x - shift[c])^2 (the shift,
// the same on every rank, keeps E[x^2] - E[x]^2 from cancelling).
void batchnorm_sums(double* sums, const float* inp, const float* shift, int N, int C, int S);
// sums (2C): per channel sum dy, then sum dy (x - mean[c]).
void batchnorm_grad_sums(double* sums, const float* dout, const float* inp, const float* mean,
                         int N, int C, int S);
// batchnorm_backward with the global batch: `global` (2C) is batchnorm_grad_sums
// added over every rank, `count` the values per channel over every rank; dweight
// and dbias add this rank's own sums (`local`, 2C). dinp may alias dout.
void batchnorm_backward_global(float* dinp, float* dweight, float* dbias, const float* dout,
                               const float* inp, const float* mean, const float* rstd,
                               const float* weight, const double* local, const double* global,
                               double count, int N, int C, int S, bool relu_mask);

// ---- batchnorm + maxpool2d, fused (channel-major: the conv stack's BN -> pool) -----
// out, idx (C, B, H/2, W/2) as maxpool2d_forward of batchnorm's output, which is
// never stored. train: batch statistics into mean/rstd (C) and the running
// stats, as batchnorm_forward; eval: mean/rstd are set from the running stats.
void batchnorm_maxpool_forward(float* out, uint8_t* idx, float* mean, float* rstd,
                               float* running_mean, float* running_var, const float* inp,
                               const float* weight, const float* bias, int C, int B, int H,
                               int W, float eps, float momentum, bool train);
// dout (C, B, H/2, W/2) is the pooled gradient; dinp (C, B, H, W) as
// maxpool2d_backward followed by batchnorm_backward (relu_mask likewise).
void batchnorm_maxpool_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                                const uint8_t* idx, const float* inp, const float* mean,
                                const float* rstd, const float* weight, int C, int B, int H,
                                int W, bool relu_mask);

// ---- maxpool2d: 2x2, stride 2 (odd trailing rows/columns are dropped) ----------
// out (P, H/2, W/2)  idx (P, H/2, W/2): argmax within the window, 0..3  inp (P, H, W)
void maxpool2d_forward(float* out, uint8_t* idx, const float* inp, int P, int H, int W);
// dinp (P, H, W) is overwritten everywhere (zeros off the argmax).
void maxpool2d_backward(float* dinp, const float* dout, const uint8_t* idx, int P, int H,
                        int W);

// ---- dropout: inverted (kept values scaled by 1/(1-p)), counter-based RNG -------
// mask (n): 1 = kept. The mask depends only on (seed, i), not on thread count.
void dropout_forward(float* out, uint8_t* mask, const float* inp, size_t n, float p,
                     uint64_t seed);
// dinp may alias dout.
void dropout_backward(float* dinp, const float* dout, const uint8_t* mask, size_t n,
                      float p);

// ---- dense: out = inp weight^T + bias ----------------------------------------
// out (B, OC)  inp (B, C)  weight (OC, C)  bias (OC); relu fused as in conv2d.
void dense_forward(float* out, const float* inp, const float* weight, const float* bias,
                   int B, int C, int OC, bool relu);
// dinp (B, C) may be nullptr.
void dense_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                    const float* inp, const float* weight, int B, int C, int OC);

// ---- relu --------------------------------------------------------------------
void relu_forward(float* out, const float* inp, size_t n);
// dinp = dout * (out > 0); dinp may alias dout.
void relu_backward(float* dinp, const float* dout, const float* out, size_t n);

// ---- layout: flatten is (C, B, HW) -> (B, C*HW) ----------------------------------
void nchw_from_cnhw(float* out, const float* inp, int B, int C, int HW);
void cnhw_from_nchw(float* out, const float* inp, int B, int C, int HW);

// ---- softmax cross-entropy (fused, stable), mean over the batch ------------------
// probs (B, V)  logits (B, V)  targets (B) in [0, V). Returns the mean loss.
float softmax_crossentropy_forward(float* probs, const float* logits, const int* targets,
                                   int B, int V);
// dlogits (B, V) = (probs - onehot(targets)) / B (overwrites).
void softmax_crossentropy_backward(float* dlogits, const float* probs, const int* targets,
                                   int B, int V);

// ---- optimizer updates over flat buffers (n floats) --------------------------------
// Adam with bias correction; t is the 1-based step. weight_decay > 0 is AdamW's
// decoupled decay (p -= lr * wd * p) applied before the Adam step.
void adam_update(float* params, float* m, float* v, const float* grads, size_t n,
                 float lr, float beta1, float beta2, float eps, float weight_decay,
                 uint64_t t);
// SGD with momentum (PyTorch form): g += wd p; vel = mu vel + g;
// p -= lr (nesterov ? g + mu vel : vel).
void sgd_update(float* params, float* velocity, const float* grads, size_t n, float lr,
                float momentum, bool nesterov, float weight_decay);

// ---- threads -------------------------------------------------------------------
// OpenMP threads for the kernels called from THIS thread (OpenMP keeps the
// setting per calling thread; 0 leaves the default: all cores). A train
// function calls it once with its container's cpus. OpenBLAS itself always
// runs single-threaded (see gemm.hpp). Results are deterministic for a given
// thread count; sums split differently with another count (last-bit changes).
void set_num_threads(int n);
int num_threads();

} // namespace lagom::nn::cpu
