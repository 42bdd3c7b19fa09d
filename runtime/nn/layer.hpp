// model::layer: what the model keeps per layer (internal to runtime/nn).
#pragma once

#include "nn/model.hpp"

namespace lagom::nn {

struct model::layer {
  layer_spec spec;
  // Per-sample input and output dims. spatial: channel-major (C, B, H, W);
  // otherwise rows (B, c) with h = w = 1.
  bool spatial_in = true, spatial_out = true;
  int c = 0, h = 0, w = 0;
  int oc = 0, oh = 0, ow = 0;
  bool alias = false;          // output is the input (flatten of rows)
  bool relu_in_next = false;   // the next layer (batchnorm) undoes this ReLU
  bool pool_next = false;      // batchnorm: fused with the maxpool2d after it
  bool fused = false;          // maxpool2d: computed by the batchnorm before it
  // Views into the flat blocks (offsets; counts 0 when unused).
  size_t weight = 0, nweight = 0, bias = 0, nbias = 0;
  size_t stat = 0;             // stats_: running mean (oc) then running var (oc)
  // Buffers in acts_ / bytes_, sized for max_batch.
  float* out = nullptr;
  float* mean = nullptr;       // batchnorm: saved batch mean and rstd
  float* rstd = nullptr;
  uint8_t* mask = nullptr;     // maxpool argmax / dropout mask

  bool has_params() const { return nweight + nbias > 0; }
  size_t in_size(int B) const { return size_t(B) * c * h * w; }
  size_t out_size(int B) const { return size_t(B) * oc * oh * ow; }
};

} // namespace lagom::nn
