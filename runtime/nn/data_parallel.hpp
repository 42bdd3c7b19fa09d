// nn::data_parallel: one rank's side of a data-parallel (DDP) model: the
// training step with gradients all-reduced in buckets during backward, the
// start-up broadcast, gradient accumulation and BatchNorm statistics.
//
//   nn::ddp_options o;  o.bucket_mb = 25;  o.accumulate = 1;
//   std::unique_ptr<nn::data_parallel> dp;
//   if (auto st = nn::data_parallel::make(*m, comm, o, &dp); !st) ...
//   dp->broadcast_state(opt.get());                  // rank 0's weights everywhere
//   for (each batch of this rank's shard)
//     if (auto st = dp->train_step(x, labels, *opt); !st) ...   // the group failed
//
// What a step does: forward; backward, launching each gradient bucket's
// all-reduce (average over the ranks) on the bucket thread as soon as
// backward has finished it (bucket_reducer.hpp: first 1 MiB, then bucket_mb);
// then it waits for every bucket and runs the optimizer. With every rank on
// the same number of samples per step, the averaged gradient is the gradient
// of the mean loss over the global batch: N ranks with per-rank batch B take
// the same steps as one rank with batch N*B (SGD, no dropout; BatchNorm
// normalises per rank unless the model has none).
//
// accumulate = k (PyTorch's no_sync): k micro-batches add their gradients
// locally and only the k-th is all-reduced; the optimizer then steps on the
// mean of the k gradients. train_step returns stepped() == false on the
// other k-1.
//
// BatchNorm: by default each rank normalises with its own batch's statistics
// and keeps its own running statistics (PyTorch DDP without SyncBatchNorm).
// sync_bn = true is torch.nn.SyncBatchNorm: every train forward's batchnorm
// uses the mean and variance of the global batch (per-channel sums
// all-reduced, model::set_batch_sum), and backward all-reduces the
// per-channel gradient sums, so N ranks with batch B take the same steps as
// one rank with batch N*B, BatchNorm included; the running statistics, updated
// from the global ones, are the same on every rank. Two float64 all-reduces of
// 2C+1 values per batchnorm layer and step; the backward's run between the
// gradient buckets (bucket_reducer::between_buckets).

// Without a communicator (nullptr, or world size 1) train_step is the plain
// step: nothing is communicated and nothing else changes.
//
// Failure: a failed collective returns its status (naming the bucket or the
// buffer); the step is then incomplete on this rank and the group must be
// started again (communicator.hpp). Ownership: borrows the model and the
// communicator, which must outlive it. Threading: one train thread.
#pragma once

#include <cstdint>
#include <memory>

#include "collective/communicator.hpp"
#include "lagom/status.hpp"
#include "nn/bucket_reducer.hpp"
#include "nn/model.hpp"
#include "nn/optimizer.hpp"

namespace lagom {
class timeline;
}

namespace lagom::nn {

struct ddp_options {
  double bucket_mb = 25;       ///< > 0: MiB per gradient bucket after the first
  double first_bucket_mb = 1;  ///< > 0: MiB of the first (the last layers')
  uint32_t accumulate = 1;     ///< >= 1: micro-batches per all-reduce and step
  bool sync_bn = false;        ///< BatchNorm over the global batch (SyncBatchNorm)
};

/// invalid_argument naming the field: bucket_mb <= 0, first_bucket_mb <= 0,
/// accumulate == 0.
status check(const ddp_options& o);

class data_parallel {
public:
  /// Checks `o`; `comm` may be null (one rank). `trace` optional, borrowed.
  static status make(model& m, collective::communicator* comm, const ddp_options& o,
                     std::unique_ptr<data_parallel>* out, timeline* trace = nullptr);

  /// Copies rank 0's parameters and BatchNorm statistics to every rank (and,
  /// when `opt` is given, its state and step count: a resumed job continues
  /// from rank 0's optimizer). Call on every rank before the first step.
  status broadcast_state(optimizer* opt);

  /// One micro-batch: see above. x, targets as model::forward.
  status train_step(const tensor& x, const int* targets, optimizer& opt);
  /// Whether the last train_step ran the optimizer (accumulate > 1: every k-th).
  bool stepped() const { return stepped_; }

  /// In place: the average (or sum) over the ranks of `n` doubles (metrics).
  status average(double* values, size_t n);

  ~data_parallel();

  uint32_t rank() const { return comm_ ? comm_->rank() : 0; }
  uint32_t world_size() const { return comm_ ? comm_->world_size() : 1; }
  const std::vector<bucket>& buckets() const;
  /// Seconds the last synchronised step waited for its buckets after backward.
  double last_wait_s() const { return reducer_ ? reducer_->last_wait_s() : 0.0; }

private:
  data_parallel(model& m, collective::communicator* comm, const ddp_options& o,
                timeline* trace);

  model& m_;
  collective::communicator* comm_;
  ddp_options o_;
  timeline* trace_;
  std::unique_ptr<bucket_reducer> reducer_; // null when nothing is communicated
  status sum_batch_stats(double* values, size_t n); // the model's batch_sum_fn (sync_bn)

  bool in_backward_ = false;                // the bucket thread owns the communicator
  uint32_t micro_ = 0;                      // micro-batches since the last step
  bool stepped_ = false;
};

} // namespace lagom::nn
