// lagom::nn::tensor: float32 values with an NCHW shape, owning or borrowed.
//
// A shape is a value. A tensor either owns its floats (tensor(shape), zeroed)
// or borrows them (tensor::view): a view never frees, and the floats must stay
// valid while the view is used. Tensors are move-only: copying floats is
// always spelled out (std::copy on data()).
//
// The batch handed to a model is an NCHW tensor (n = batch). Inside a model,
// conv-stack activations are channel-major (C, N, H, W): see cpu/kernels.hpp.
#pragma once

#include <cstddef>
#include <vector>

namespace lagom::nn {

struct shape {
  int n = 0, c = 1, h = 1, w = 1;

  size_t count() const { return size_t(n) * size_t(c) * size_t(h) * size_t(w); }
  /// Values per sample: c * h * w.
  size_t per_sample() const { return size_t(c) * size_t(h) * size_t(w); }
  bool operator==(const shape& o) const {
    return n == o.n && c == o.c && h == o.h && w == o.w;
  }
  bool operator!=(const shape& o) const { return !(*this == o); }
};

class tensor {
public:
  tensor() = default;
  /// Owns shape.count() zeroed floats.
  explicit tensor(shape s) : shape_(s), owned_(s.count(), 0.f), data_(owned_.data()) {}
  /// Borrows `data` (at least s.count() floats); the caller keeps it alive.
  static tensor view(float* data, shape s) {
    tensor t;
    t.shape_ = s;
    t.data_ = data;
    return t;
  }
  /// Borrows read-only floats; the view must then only be read.
  static tensor view(const float* data, shape s) { return view(const_cast<float*>(data), s); }

  tensor(tensor&&) noexcept = default;   // std::vector's move keeps its buffer
  tensor& operator=(tensor&&) noexcept = default;
  tensor(const tensor&) = delete;
  tensor& operator=(const tensor&) = delete;

  const shape& dims() const { return shape_; }
  size_t count() const { return shape_.count(); }
  float* data() { return data_; }
  const float* data() const { return data_; }
  bool owning() const { return !owned_.empty(); }

private:
  shape shape_;
  std::vector<float> owned_;
  float* data_ = nullptr;
};

} // namespace lagom::nn
