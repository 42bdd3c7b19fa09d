// Fused softmax + cross-entropy, numerically stable (subtract the row max;
// the loss uses log-sum-exp, never log of a rounded probability).
#include <algorithm>
#include <cmath>

#include "nn/cpu/kernels.hpp"

namespace lagom::nn::cpu {

float softmax_crossentropy_forward(float* probs, const float* logits, const int* targets,
                                   int B, int V) {
  double loss = 0;
  for (int b = 0; b < B; ++b) {
    const float* z = logits + size_t(b) * V;
    float* p = probs + size_t(b) * V;
    const float zmax = *std::max_element(z, z + V);
    double sum = 0;
    for (int j = 0; j < V; ++j) {
      p[j] = std::exp(z[j] - zmax);
      sum += p[j];
    }
    const float inv = float(1.0 / sum);
    for (int j = 0; j < V; ++j) p[j] *= inv;
    if (targets) // -log softmax(z)[t] = log(sum) - (z[t] - zmax)
      loss += std::log(sum) - double(z[targets[b]] - zmax);
  }
  return float(loss / B);
}

void softmax_crossentropy_backward(float* dlogits, const float* probs, const int* targets,
                                   int B, int V) {
  const float inv_b = 1.f / float(B);
  for (int b = 0; b < B; ++b) {
    const float* p = probs + size_t(b) * V;
    float* d = dlogits + size_t(b) * V;
    for (int j = 0; j < V; ++j) d[j] = p[j] * inv_b;
    d[targets[b]] -= inv_b;
  }
}

} // namespace lagom::nn::cpu
