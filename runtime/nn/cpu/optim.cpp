// Optimizer updates over the flat parameter block (gpt2_update style).
#include <cmath>

#include "nn/cpu/kernels.hpp"

namespace lagom::nn::cpu {

void adam_update(float* params, float* m, float* v, const float* grads, size_t n,
                 float lr, float beta1, float beta2, float eps, float weight_decay,
                 uint64_t t) {
  const float c1 = 1.f - float(std::pow(double(beta1), double(t)));
  const float c2 = 1.f - float(std::pow(double(beta2), double(t)));
  const float decay = 1.f - lr * weight_decay;
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; ++i) {
    const float g = grads[i];
    const float mi = beta1 * m[i] + (1.f - beta1) * g;
    const float vi = beta2 * v[i] + (1.f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    const float mhat = mi / c1, vhat = vi / c2;
    params[i] = params[i] * decay - lr * mhat / (std::sqrt(vhat) + eps);
  }
}

void sgd_update(float* params, float* velocity, const float* grads, size_t n, float lr,
                float momentum, bool nesterov, float weight_decay) {
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; ++i) {
    const float g = grads[i] + weight_decay * params[i];
    const float vel = momentum * velocity[i] + g;
    velocity[i] = vel;
    params[i] -= lr * (nesterov ? g + momentum * vel : vel);
  }
}

} // namespace lagom::nn::cpu
