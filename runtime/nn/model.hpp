// lagom::nn::model: a sequential network over ONE flat parameter block.
//
//   std::unique_ptr<nn::model> m;
//   nn::model_options opt;  opt.max_batch = 128;  opt.seed = 42;
//   if (auto st = nn::make_model(nn::fashion_mnist_cnn_spec(), opt, &m); !st) ...;
//   nn::adam adam(m->param_count(), {});
//   for (each batch x (B,1,28,28), y (B)) {
//     m->zero_grad();
//     m->forward(x, y, nn::mode::train);   // loss(), correct(), probs()
//     m->backward();                         // grads() now hold d(mean loss)/d(params)
//     adam.step(m->params(), m->grads());    // (all-reduce grads() first when data-parallel)
//   }
//
// Memory: params() and grads() are each one contiguous block of param_count()
// floats; every layer's weight and bias are views at fixed offsets into them
// (param_layout() names each view and its shape). grads() is what a data-
// parallel trainer all-reduces. stats() holds the non-learned state (batchnorm
// running mean and variance); checkpoint.hpp saves both with the optimizer.
// Activations and scratch are allocated once, for max_batch samples: forward
// and backward never allocate.
//
// The last layer must be a dense layer without ReLU: its outputs are the
// logits of a fused softmax cross-entropy (mean over the batch).
// Threading: one model is used by one thread at a time; the kernels use
// OpenMP and OpenBLAS threads inside each call (cpu::set_num_threads).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lagom/status.hpp"
#include "nn/backend.hpp"
#include "nn/tensor.hpp"

namespace lagom::nn {

enum class layer_kind : uint8_t { conv2d, batchnorm, maxpool2d, dropout, flatten, dense, relu };
const char* to_string(layer_kind kind);

/// One layer of a model_spec (a value). Unused fields are ignored.
struct layer_spec {
  layer_kind kind = layer_kind::dense;
  int units = 0;         ///< conv2d: output channels; dense: output features
  int kernel = 3;        ///< conv2d: odd square kernel; same padding, stride 1
  bool relu = false;     ///< conv2d, dense: ReLU fused after the bias
  float rate = 0.f;      ///< dropout: probability of dropping, in [0, 1)
  float momentum = 0.1f; ///< batchnorm: weight of the batch in the running stats
  float eps = 1e-5f;     ///< batchnorm

  static layer_spec conv2d(int filters, int kernel = 3, bool relu = true);
  static layer_spec batchnorm(float momentum = 0.1f, float eps = 1e-5f);
  static layer_spec maxpool2d();
  static layer_spec dropout(float rate);
  static layer_spec flatten();
  static layer_spec dense(int units, bool relu = false);
  static layer_spec relu_layer();
};

/// Input shape of one sample (NCHW without N) and the layers in order.
struct model_spec {
  int channels = 1, height = 28, width = 28;
  std::vector<layer_spec> layers;
};

/// The workshop CNN for 28x28x1 images, 10 classes:
/// [Conv 32 3x3 same ReLU, BN, MaxPool 2, Dropout d1], [Conv 64 ..., Dropout d2],
/// Flatten, Dense 128 ReLU, Dropout d3, Dense 10.
model_spec fashion_mnist_cnn_spec(float dropout1 = 0.3f, float dropout2 = 0.3f,
                                  float dropout3 = 0.5f);
/// Flatten, Dense `units` ReLU, Dropout `dropout`, Dense `classes`; the input is
/// `in` features (any (C, H, W) with C*H*W == in is accepted).
model_spec mlp_spec(int in, int units, float dropout, int classes);

/// How conv2d and dense weights start (batchnorm: gamma 1, beta 0 always).
enum class init_scheme {
  he_glorot,       ///< He uniform before a ReLU, Glorot uniform otherwise; biases 0
  fan_in_uniform,  ///< U(+-1/sqrt(fan_in)) for weights and biases (PyTorch's default)
};

struct model_options {
  int max_batch = 128; ///< activations are sized for this many samples
  uint64_t seed = 0;   ///< initial weights and dropout masks derive from it
  init_scheme init = init_scheme::he_glorot;
  const kernels* backend = nullptr; ///< nullptr: cpu_kernels(); must outlive the model
};

enum class mode { train, eval };

/// A named view into the flat blocks: params()[offset .. offset + count).
struct param_info {
  std::string name; ///< e.g. "0.conv2d.weight"
  size_t offset = 0, count = 0;
  shape dims;       ///< e.g. (32, 1, 3, 3) for a conv weight, (128, 3136) as n, c
};

class model {
public:
  /// grads()[offset .. offset + count) are final: called during backward, layer
  /// by layer from the last, so all-reduce can start on them early.
  using grads_ready_fn = std::function<void(size_t offset, size_t count)>;

  ~model();
  model(const model&) = delete;
  model& operator=(const model&) = delete;

  /// x: (B, C, H, W) NCHW with 1 <= B <= max_batch and (C, H, W) as in the spec.
  /// targets: B labels in [0, classes), or nullptr (then no loss; eval only).
  /// Train mode uses batch statistics, updates BN running stats and draws new
  /// dropout masks. Errors (invalid_argument) leave the model unchanged.
  /// The model may keep a pointer to x's floats: keep them valid and unchanged
  /// until backward.
  status forward(const tensor& x, const int* targets, mode m);
  /// Adds d(mean loss)/d(params) to grads(). Needs the last forward to have been
  /// a train forward with targets; one backward per such forward.
  status backward(const grads_ready_fn& ready = {});
  void zero_grad();

  float loss() const { return loss_; }        ///< mean loss of the last forward
  int correct() const { return correct_; }    ///< argmax hits of the last forward
  const float* probs() const;                 ///< (B, classes) of the last forward
  int batch() const { return batch_; }        ///< B of the last forward
  int classes() const;
  int max_batch() const { return max_batch_; }

  size_t param_count() const { return params_.size(); }
  size_t param_bytes() const { return params_.size() * sizeof(float); }
  float* params() { return params_.data(); }
  const float* params() const { return params_.data(); }
  float* grads() { return grads_.data(); }
  const float* grads() const { return grads_.data(); }
  const std::vector<param_info>& param_layout() const { return layout_; }

  /// Batchnorm running statistics (per BN layer: mean (C) then var (C)).
  size_t stats_count() const { return stats_.size(); }
  float* stats() { return stats_.data(); }
  const float* stats() const { return stats_.data(); }
  /// The seed and the number of train forwards so far select the next
  /// dropout masks (checkpoints restore both).
  uint64_t seed() const { return seed_; }
  uint64_t rng_counter() const { return rng_counter_; }
  void set_rng(uint64_t seed, uint64_t counter) { seed_ = seed, rng_counter_ = counter; }

  /// Adds `n` doubles in place over every rank of a data-parallel group (an
  /// all-reduce sum); a failure is returned by forward/backward unchanged.
  using batch_sum_fn = std::function<status(double* values, size_t n)>;
  /// Global batch statistics (SyncBatchNorm): with a function set, every
  /// train forward's batchnorm normalises with the mean and variance of the
  /// batches of every rank (per-channel sums added through `sum`, one call per
  /// batchnorm layer), updates the running statistics with them, and backward
  /// adds the per-channel gradient sums likewise (a second call per layer), as
  /// torch.nn.SyncBatchNorm does. The sums are taken around the running mean,
  /// which must be the same on every rank (it is: every rank updates it with
  /// the same global statistics). Every rank must run the same layers in the
  /// same order. Empty (the default): each forward's own batch.
  void set_batch_sum(batch_sum_fn sum) { batch_sum_ = std::move(sum); }

  const model_spec& spec() const { return spec_; }
  const kernels* backend() const { return k_; }
  /// One line per layer: kind, output shape, parameters.
  std::string summary() const;

  struct layer; // internal: nn/layer.hpp

private:
  friend status make_model(const model_spec&, const model_options&, std::unique_ptr<model>*);
  model();
  // model_sync_bn.cpp: batchnorm layer i over the global batch (batch_sum_ set).
  status sync_bn_forward(size_t i, int B);
  status sync_bn_backward(size_t i, int B, const float* dout, float* dinp, bool relu_mask);

  batch_sum_fn batch_sum_;
  std::vector<double> bn_sums_, bn_local_; // sync_bn scratch (allocated once, on first use)
  std::vector<float> bn_mean_, bn_var_;

  const kernels* k_ = nullptr;
  model_spec spec_;
  int max_batch_ = 0;
  uint64_t seed_ = 0;
  std::vector<layer> layers_;
  std::vector<param_info> layout_;
  std::vector<float> params_, grads_, stats_;
  std::vector<float> acts_;     // every float activation and scratch buffer
  std::vector<uint8_t> bytes_;  // maxpool argmax, dropout masks
  std::vector<const float*> act_; // act_[i]: input of layer i (act_[0] = the batch)
  float* input_ = nullptr;      // NCHW -> channel-major copy of the batch (C > 1)
  float* probs_ = nullptr;
  float* grad_a_ = nullptr;     // two ping-pong buffers for activation gradients
  float* grad_b_ = nullptr;
  std::vector<int> targets_;
  int batch_ = 0, correct_ = 0;
  float loss_ = 0.f;
  bool can_backward_ = false;
  uint64_t rng_counter_ = 0;
};

/// Validates `spec` (errors name the field, e.g. "layers[3].rate"), allocates,
/// initialises the weights from opt.seed (He uniform before a ReLU, Glorot
/// uniform otherwise, zero biases; BN gamma 1, beta 0, running var 1).
status make_model(const model_spec& spec, const model_options& opt,
                  std::unique_ptr<model>* out);
/// make_model over fashion_mnist_cnn_spec(dropout1, dropout2, dropout3).
status make_fashion_mnist_cnn(const model_options& opt, std::unique_ptr<model>* out,
                              float dropout1 = 0.3f, float dropout2 = 0.3f,
                              float dropout3 = 0.5f);
/// make_model over mlp_spec(in, units, dropout, classes).
status make_mlp(int in, int units, float dropout, int classes, const model_options& opt,
                std::unique_ptr<model>* out);

} // namespace lagom::nn
