// model::sync_bn_forward / sync_bn_backward: a batchnorm layer over the batches
// of every rank (model::set_batch_sum), as torch.nn.SyncBatchNorm.
//
// Forward: per channel, this rank's sums around the running mean (the same on
// every rank) and its value count are added over the ranks; the global mean
// and biased variance then normalise this rank's batch (the eval kernels with
// them in place of the running statistics), and the running statistics take
// the global mean and unbiased variance.
// Backward: per channel, sum dy and sum dy (x - mean) are added over the ranks
// and the input gradient uses them over the global count; gamma's and beta's
// gradients are this rank's own sums (the bucket all-reduce averages them
// with the other ranks' like every other gradient).
#include <algorithm>
#include <cmath>
#include <string>

#include "nn/layer.hpp"

namespace lagom::nn {

namespace {
status sum_failed(const status& st, size_t layer, const char* what) {
  return status::error(st.code(),
                       "sync_bn " + std::string(what) + " of layer " + std::to_string(layer) +
                           " (batchnorm): " + st.message(),
                       st.where());
}
} // namespace

status model::sync_bn_forward(size_t i, int B) {
  layer& l = layers_[i];
  const int C = l.c;
  const int N = l.spatial_in ? 1 : B, S = l.spatial_in ? B * l.h * l.w : 1;
  const float* in = act_[i];
  float* rm = stats_.data() + l.stat;
  float* rv = rm + C;
  bn_sums_.assign(2 * size_t(C) + 1, 0.0);
  k_->batchnorm_sums(bn_sums_.data(), in, rm, N, C, S);
  bn_sums_[2 * size_t(C)] = double(N) * S;
  if (auto st = batch_sum_(bn_sums_.data(), bn_sums_.size()); !st)
    return sum_failed(st, i, "statistics");
  const double M = bn_sums_[2 * size_t(C)];
  bn_mean_.resize(C);
  bn_var_.resize(C);
  for (int c = 0; c < C; ++c) {
    const double d = bn_sums_[c] / M;
    const double mu = double(rm[c]) + d;
    const double var = std::max(0.0, bn_sums_[C + c] / M - d * d);
    bn_mean_[c] = float(mu);
    bn_var_[c] = float(var);
    l.mean[c] = float(mu);
    l.rstd[c] = float(1.0 / std::sqrt(var + l.spec.eps));
  }
  const float* P = params_.data();
  if (l.pool_next) { // writes the maxpool2d layer's output and argmaxes
    layer& pool = layers_[i + 1];
    k_->batchnorm_maxpool_forward(pool.out, pool.mask, l.mean, l.rstd, bn_mean_.data(),
                                  bn_var_.data(), in, P + l.weight, P + l.bias, C, B, l.h, l.w,
                                  l.spec.eps, l.spec.momentum, false);
  } else {
    k_->batchnorm_inference(l.out, in, P + l.weight, P + l.bias, bn_mean_.data(),
                            bn_var_.data(), N, C, S, l.spec.eps);
  }
  const float m = l.spec.momentum;
  for (int c = 0; c < C; ++c) {
    const double unbiased = M > 1 ? double(bn_var_[c]) * M / (M - 1) : double(bn_var_[c]);
    rm[c] = (1 - m) * rm[c] + m * bn_mean_[c];
    rv[c] = (1 - m) * rv[c] + m * float(unbiased);
  }
  return status::ok();
}

status model::sync_bn_backward(size_t i, int B, const float* dout, float* dinp,
                               bool relu_mask) {
  layer& l = layers_[i];
  const int C = l.c;
  const int N = l.spatial_in ? 1 : B, S = l.spatial_in ? B * l.h * l.w : 1;
  const float* in = act_[i];
  const float* dy = dout;
  if (l.pool_next) { // expand the pooled gradient to the batchnorm's output first
    k_->maxpool2d_backward(dinp, dout, layers_[i + 1].mask, C * B, l.h, l.w);
    dy = dinp;
  }
  bn_local_.assign(2 * size_t(C), 0.0);
  k_->batchnorm_grad_sums(bn_local_.data(), dy, in, l.mean, N, C, S);
  bn_sums_.assign(bn_local_.begin(), bn_local_.end());
  bn_sums_.push_back(double(N) * S);
  if (auto st = batch_sum_(bn_sums_.data(), bn_sums_.size()); !st)
    return sum_failed(st, i, "gradient sums");
  float* G = grads_.data();
  k_->batchnorm_backward_global(dinp, G + l.weight, G + l.bias, dy, in, l.mean, l.rstd,
                                params_.data() + l.weight, bn_local_.data(), bn_sums_.data(),
                                bn_sums_[2 * size_t(C)], N, C, S, relu_mask);
  return status::ok();
}

} // namespace lagom::nn
