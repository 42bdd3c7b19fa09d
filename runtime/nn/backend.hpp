// lagom::nn::kernels: the per-op interface a backend implements.
//
// A table of the functions declared in cpu/kernels.hpp, with exactly their
// signatures (the member types are taken from the cpu declarations, so a
// backend that drifts does not compile). The model calls kernels only through
// a table. A cuda/ backend would fill one from its own kernels, each with a CPU
// twin and a test; the model's buffers would then live on the device.
#pragma once

#include "nn/cpu/kernels.hpp"

namespace lagom::nn {

struct kernels {
  const char* name; // "cpu"
  decltype(&cpu::conv2d_forward) conv2d_forward;
  decltype(&cpu::conv2d_backward) conv2d_backward;
  decltype(&cpu::batchnorm_forward) batchnorm_forward;
  decltype(&cpu::batchnorm_inference) batchnorm_inference;
  decltype(&cpu::batchnorm_backward) batchnorm_backward;
  decltype(&cpu::batchnorm_sums) batchnorm_sums;
  decltype(&cpu::batchnorm_grad_sums) batchnorm_grad_sums;
  decltype(&cpu::batchnorm_backward_global) batchnorm_backward_global;
  decltype(&cpu::batchnorm_maxpool_forward) batchnorm_maxpool_forward;
  decltype(&cpu::batchnorm_maxpool_backward) batchnorm_maxpool_backward;
  decltype(&cpu::maxpool2d_forward) maxpool2d_forward;
  decltype(&cpu::maxpool2d_backward) maxpool2d_backward;
  decltype(&cpu::dropout_forward) dropout_forward;
  decltype(&cpu::dropout_backward) dropout_backward;
  decltype(&cpu::dense_forward) dense_forward;
  decltype(&cpu::dense_backward) dense_backward;
  decltype(&cpu::relu_forward) relu_forward;
  decltype(&cpu::relu_backward) relu_backward;
  decltype(&cpu::nchw_from_cnhw) nchw_from_cnhw;
  decltype(&cpu::cnhw_from_nchw) cnhw_from_nchw;
  decltype(&cpu::softmax_crossentropy_forward) softmax_crossentropy_forward;
  decltype(&cpu::softmax_crossentropy_backward) softmax_crossentropy_backward;
  decltype(&cpu::adam_update) adam_update;
  decltype(&cpu::sgd_update) sgd_update;
};

/// The reference CPU backend (OpenBLAS + OpenMP).
const kernels& cpu_kernels();

} // namespace lagom::nn
