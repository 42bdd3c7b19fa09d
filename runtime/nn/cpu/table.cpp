#include "nn/backend.hpp"

namespace lagom::nn {

const kernels& cpu_kernels() {
  static const kernels table{
    "cpu",
    cpu::conv2d_forward,    cpu::conv2d_backward,
    cpu::batchnorm_forward, cpu::batchnorm_inference, cpu::batchnorm_backward,
    cpu::batchnorm_sums,    cpu::batchnorm_grad_sums, cpu::batchnorm_backward_global,
    cpu::batchnorm_maxpool_forward, cpu::batchnorm_maxpool_backward,
    cpu::maxpool2d_forward, cpu::maxpool2d_backward,
    cpu::dropout_forward,   cpu::dropout_backward,
    cpu::dense_forward,     cpu::dense_backward,
    cpu::relu_forward,      cpu::relu_backward,
    cpu::nchw_from_cnhw,    cpu::cnhw_from_nchw,
    cpu::softmax_crossentropy_forward, cpu::softmax_crossentropy_backward,
    cpu::adam_update,       cpu::sgd_update,
  };
  return table;
}

} // namespace lagom::nn
