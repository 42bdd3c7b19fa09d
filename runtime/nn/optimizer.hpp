// Optimizers over the flat parameter block: Adam(W) and SGD with momentum.
//
//   nn::adam opt(m->param_count(), {/*lr*/ 1e-3f});
//   opt.step(m->params(), m->grads());
//
// An optimizer is built for n parameters and updates exactly n floats per
// step. Its state (Adam: m then v; SGD: velocity) and step count are part of a
// checkpoint (checkpoint.hpp). config() may be changed between steps (lr
// schedules). Not thread-safe; the update itself uses the kernel threads.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/backend.hpp"

namespace lagom::nn {

class optimizer {
public:
  virtual ~optimizer() = default;
  /// "adam" or "sgd": a checkpoint records it and loads only into the same kind.
  virtual const char* name() const = 0;
  /// params -= update(grads); both point to size() floats.
  virtual void step(float* params, const float* grads) = 0;

  size_t size() const { return n_; }
  uint64_t steps() const { return t_; }
  void set_steps(uint64_t t) { t_ = t; }
  size_t state_count() const { return state_.size(); }
  float* state() { return state_.data(); }
  const float* state() const { return state_.data(); }

protected:
  optimizer(size_t n, size_t state_floats, const kernels& k)
    : k_(&k), n_(n), state_(state_floats, 0.f) {}
  const kernels* k_;
  size_t n_;
  uint64_t t_ = 0;
  std::vector<float> state_;
};

struct adam_config {
  float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float weight_decay = 0.f; ///< > 0: AdamW's decoupled decay
};

class adam final : public optimizer {
public:
  explicit adam(size_t n, adam_config cfg = {}, const kernels& k = cpu_kernels())
    : optimizer(n, 2 * n, k), cfg_(cfg) {}
  const char* name() const override { return "adam"; }
  void step(float* params, const float* grads) override {
    ++t_;
    k_->adam_update(params, state_.data(), state_.data() + n_, grads, n_, cfg_.lr,
                    cfg_.beta1, cfg_.beta2, cfg_.eps, cfg_.weight_decay, t_);
  }
  adam_config& config() { return cfg_; }

private:
  adam_config cfg_;
};

struct sgd_config {
  float lr = 0.01f, momentum = 0.9f;
  bool nesterov = false;
  float weight_decay = 0.f; ///< L2: added to the gradient
};

class sgd final : public optimizer {
public:
  explicit sgd(size_t n, sgd_config cfg = {}, const kernels& k = cpu_kernels())
    : optimizer(n, n, k), cfg_(cfg) {}
  const char* name() const override { return "sgd"; }
  void step(float* params, const float* grads) override {
    ++t_;
    k_->sgd_update(params, state_.data(), grads, n_, cfg_.lr, cfg_.momentum, cfg_.nesterov,
                   cfg_.weight_decay);
  }
  sgd_config& config() { return cfg_; }

private:
  sgd_config cfg_;
};

} // namespace lagom::nn
