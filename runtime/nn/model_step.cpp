// model::forward / backward: the layers in order, then in reverse (llm.c's
// gpt2_forward / gpt2_backward). Every buffer was sized by make_model.
#include <algorithm>
#include <cstring>

#include "nn/layer.hpp"

namespace lagom::nn {

namespace {
uint64_t mix(uint64_t z) { // splitmix64: a dropout seed per (model seed, step, layer)
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
} // namespace

status model::forward(const tensor& x, const int* targets, mode m) {
  const shape& d = x.dims();
  const int B = d.n;
  if (B < 1 || B > max_batch_)
    return status::error(errc::invalid_argument,
                         "batch " + std::to_string(B) + " is outside [1, max_batch = " +
                             std::to_string(max_batch_) + "]", "x.n");
  const layer& l0 = layers_.front();
  const bool same = l0.spatial_in ? d.c == l0.c && d.h == l0.h && d.w == l0.w
                                  : d.per_sample() == size_t(l0.c);
  if (!same)
    return status::error(errc::invalid_argument,
                         "sample shape (" + std::to_string(d.c) + ", " + std::to_string(d.h) +
                             ", " + std::to_string(d.w) + ") does not match the model's input",
                         "x");
  const int V = classes();
  if (targets)
    for (int b = 0; b < B; ++b)
      if (targets[b] < 0 || targets[b] >= V)
        return status::error(errc::invalid_argument,
                             std::to_string(targets[b]) + " is outside [0, " +
                                 std::to_string(V) + ")", "targets[" + std::to_string(b) + "]");
  if (m == mode::train && !targets)
    return status::error(errc::invalid_argument, "a train forward needs targets", "targets");

  const bool train = m == mode::train;
  if (input_) {
    k_->cnhw_from_nchw(input_, x.data(), B, d.c, d.h * d.w);
    act_[0] = input_;
  } else {
    act_[0] = x.data();
  }
  float* P = params_.data();
  for (size_t i = 0; i < layers_.size(); ++i) {
    layer& l = layers_[i];
    const float* in = act_[i];
    const float* w = P + l.weight;
    const float* bias = P + l.bias;
    const size_t n = l.out_size(B);
    const float* out = l.out;
    switch (l.spec.kind) {
      case layer_kind::conv2d:
        k_->conv2d_forward(l.out, in, w, bias, B, l.c, l.h, l.w, l.oc, l.spec.kernel,
                           l.spec.relu);
        break;
      case layer_kind::batchnorm: {
        const int N = l.spatial_in ? 1 : B, S = l.spatial_in ? B * l.h * l.w : 1;
        float* rm = stats_.data() + l.stat;
        if (train && batch_sum_) { // the global batch's statistics (sync_bn)
          if (auto st = sync_bn_forward(i, B); !st)
            return st;
          if (l.pool_next)
            out = nullptr;
        } else if (l.pool_next) { // writes the maxpool2d layer's output and argmaxes
          layer& pool = layers_[i + 1];
          k_->batchnorm_maxpool_forward(pool.out, pool.mask, l.mean, l.rstd, rm, rm + l.c, in,
                                        w, bias, l.c, B, l.h, l.w, l.spec.eps,
                                        l.spec.momentum, train);
          out = nullptr;
        } else if (train)
          k_->batchnorm_forward(l.out, l.mean, l.rstd, rm, rm + l.c, in, w, bias, N, l.c, S,
                                l.spec.eps, l.spec.momentum);
        else
          k_->batchnorm_inference(l.out, in, w, bias, rm, rm + l.c, N, l.c, S, l.spec.eps);
        break;
      }
      case layer_kind::maxpool2d:
        if (!l.fused)
          k_->maxpool2d_forward(l.out, l.mask, in, l.c * B, l.h, l.w);
        break;
      case layer_kind::dropout:
        if (train && l.spec.rate > 0.f)
          k_->dropout_forward(l.out, l.mask, in, n, l.spec.rate,
                              mix(seed_ ^ mix(rng_counter_ * 1000003 + i)));
        else
          out = in; // identity: pass the input on
        break;
      case layer_kind::flatten:
        if (l.alias)
          out = in;
        else
          k_->nchw_from_cnhw(l.out, in, B, l.c, l.h * l.w);
        break;
      case layer_kind::dense:
        k_->dense_forward(l.out, in, w, bias, B, l.c, l.oc, l.spec.relu);
        break;
      case layer_kind::relu:
        k_->relu_forward(l.out, in, n);
        break;
    }
    act_[i + 1] = out;
  }
  loss_ = k_->softmax_crossentropy_forward(probs_, act_.back(), targets, B, V);
  correct_ = 0;
  if (targets) {
    for (int b = 0; b < B; ++b) {
      const float* p = probs_ + size_t(b) * V;
      correct_ += int(std::max_element(p, p + V) - p) == targets[b];
    }
    std::copy(targets, targets + B, targets_.begin());
  } else {
    loss_ = 0.f;
  }
  batch_ = B;
  can_backward_ = train;
  if (train)
    ++rng_counter_;
  return status::ok();
}

status model::backward(const grads_ready_fn& ready) {
  if (!can_backward_)
    return status::error(errc::invalid_argument,
                         "backward needs a train forward with targets first (one backward "
                         "per forward)", "model.backward");
  can_backward_ = false;
  const int B = batch_;
  float* dout = grad_a_;
  k_->softmax_crossentropy_backward(dout, probs_, targets_.data(), B, classes());
  size_t first = 0; // layers before the first with parameters need no gradient
  while (first < layers_.size() && !layers_[first].has_params()) ++first;
  const float* P = params_.data();
  float* G = grads_.data();
  for (size_t i = layers_.size(); i-- > first;) {
    layer& l = layers_[i];
    const float* in = act_[i];
    float* other = dout == grad_a_ ? grad_b_ : grad_a_;
    float* dinp = i > first ? other : nullptr;
    const size_t n = l.out_size(B);
    // a ReLU fused into this layer, unless the batchnorm after it already undid it
    const bool undo_relu = l.spec.relu && !l.relu_in_next;
    switch (l.spec.kind) {
      case layer_kind::conv2d:
        if (undo_relu)
          k_->relu_backward(dout, dout, l.out, n);
        k_->conv2d_backward(dinp, G + l.weight, G + l.bias, dout, in, P + l.weight,
                            B, l.c, l.h, l.w, l.oc, l.spec.kernel);
        break;
      case layer_kind::batchnorm: {
        const int N = l.spatial_in ? 1 : B, S = l.spatial_in ? B * l.h * l.w : 1;
        const bool mask = i > 0 && layers_[i - 1].relu_in_next;
        if (!dinp) // first layer: gamma/beta grads only, written to scratch
          dinp = other;
        if (batch_sum_) { // the global batch's statistics (sync_bn)
          if (auto st = sync_bn_backward(i, B, dout, dinp, mask); !st)
            return st;
          break;
        }
        if (l.pool_next) { // dout is the pooled gradient
          k_->batchnorm_maxpool_backward(dinp, G + l.weight, G + l.bias, dout,
                                         layers_[i + 1].mask, in, l.mean, l.rstd, P + l.weight,
                                         l.c, B, l.h, l.w, mask);
          break;
        }
        k_->batchnorm_backward(dinp, G + l.weight, G + l.bias, dout, in, l.mean, l.rstd,
                               P + l.weight, N, l.c, S, mask);
        break;
      }
      case layer_kind::maxpool2d:
        if (l.fused) // the batchnorm before expands the pooled gradient itself
          dinp = dout;
        else
          k_->maxpool2d_backward(dinp, dout, l.mask, l.c * B, l.h, l.w);
        break;
      case layer_kind::dropout:
        if (l.spec.rate > 0.f)
          k_->dropout_backward(dinp, dout, l.mask, n, l.spec.rate);
        else
          dinp = dout;
        break;
      case layer_kind::flatten:
        if (l.alias)
          dinp = dout;
        else
          k_->cnhw_from_nchw(dinp, dout, B, l.c, l.h * l.w);
        break;
      case layer_kind::dense:
        if (undo_relu)
          k_->relu_backward(dout, dout, l.out, n);
        k_->dense_backward(dinp, G + l.weight, G + l.bias, dout, in, P + l.weight, B, l.c,
                           l.oc);
        break;
      case layer_kind::relu:
        k_->relu_backward(dinp, dout, l.out, n);
        break;
    }
    if (ready && l.has_params())
      ready(l.weight, l.nweight + l.nbias);
    dout = dinp;
  }
  return status::ok();
}

void model::zero_grad() { std::fill(grads_.begin(), grads_.end(), 0.f); }

} // namespace lagom::nn
