// Model + optimizer state as one byte vector (what the checkpointer stores).
//
// Format, version 1 (host byte order: little-endian on x86-64):
//   offset  0  u32  magic 0x4e4e474c ("LGNN")
//           4  u32  version = 1
//           8  u64  param_count        16  u64  stats_count (BN running stats)
//          24  u64  seed               32  u64  rng_counter (they select dropout masks)
//          40  char[8] optimizer name ("adam", "sgd"; all zero = none)
//          48  u64  optimizer steps    56  u64  optimizer state_count
//          64  f32  params, then stats, then optimizer state
// Loading checks magic, version, every count against the model and optimizer
// and the total size before it changes anything: on error nothing is modified.
#pragma once

#include <cstdint>
#include <vector>

#include "lagom/status.hpp"
#include "nn/model.hpp"
#include "nn/optimizer.hpp"

namespace lagom::nn {

/// Bytes save_state will produce. `opt` may be null (no optimizer state).
size_t state_size(const model& m, const optimizer* opt);
std::vector<uint8_t> save_state(const model& m, const optimizer* opt);
/// Restores params, BN running stats, the dropout rng and (when `opt` is not
/// null) the optimizer state. invalid_argument names the field that differs.
status load_state(model& m, optimizer* opt, const uint8_t* data, size_t size);
inline status load_state(model& m, optimizer* opt, const std::vector<uint8_t>& bytes) {
  return load_state(m, opt, bytes.data(), bytes.size());
}

} // namespace lagom::nn
