#include "lagom/train.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "collective/communicator.hpp"

namespace lagom {

decision train_context::report(uint64_t step, const named_values& metrics) {
  if (agreeing()) {
    // Rank 0 alone reports; every rank then learns the same verdict here, so
    // no rank leaves the training loop while another enters a collective.
    double stop = 0;
    if (where_.rank == 0 && services_ != nullptr)
      stop = services_->report(step, metrics) == decision::stop || services_->stop_decided();
    if (auto st = comm_->all_reduce(&stop, 1, collective::dtype::float64,
                                    collective::reduce_op::sum);
        !st || stop > 0)
      stopped_ = true; // a failed collective: the group is broken, stop
    return stopped_ ? decision::stop : decision::go_on;
  }
  if (services_ == nullptr)
    return decision::go_on;
  auto d = services_->report(step, metrics);
  if (d == decision::stop)
    stopped_ = true;
  return d;
}

status train_context::save_checkpoint(uint64_t step, const std::string& payload,
                                      const named_values& metadata) {
  if (comm_ != nullptr && where_.rank != 0)
    return status::ok(); // a data-parallel job's checkpoints are rank 0's
  if (services_ == nullptr)
    return status::error(errc::unavailable, "no checkpointer outside a cluster", "checkpoint");
  return services_->save_checkpoint(step, payload, metadata);
}

status train_context::load_checkpoint(uint64_t& step, std::string& payload,
                                      named_values& metadata) {
  if (services_ == nullptr)
    return status::error(errc::not_found, "no checkpointer outside a cluster", "checkpoint");
  return services_->load_checkpoint(step, payload, metadata);
}

void train_context::log(const std::string& message, const std::string& level) {
  const std::string text = comm_ == nullptr ? message
                                            : "[rank " + std::to_string(where_.rank) + "/" +
                                                  std::to_string(where_.world_size) + "] " +
                                                  message;
  if (services_ == nullptr) {
    std::fprintf(stderr, "[%s] %s\n", level.c_str(), text.c_str());
    return;
  }
  services_->log(level, text);
}

status train_context::all_reduce(float* data, size_t n, bool sum) {
  if (comm_ == nullptr)
    return status::ok();
  return comm_->all_reduce(data, n, collective::dtype::float32,
                           sum ? collective::reduce_op::sum : collective::reduce_op::average);
}

status train_context::all_reduce(double* data, size_t n, bool sum) {
  if (comm_ == nullptr)
    return status::ok();
  return comm_->all_reduce(data, n, collective::dtype::float64,
                           sum ? collective::reduce_op::sum : collective::reduce_op::average);
}

status train_context::broadcast(void* data, size_t bytes, uint32_t root) {
  if (comm_ == nullptr)
    return status::ok();
  if (root >= where_.world_size)
    return status::error(errc::invalid_argument,
                         "root " + std::to_string(root) + " is not below the world size " +
                             std::to_string(where_.world_size), "broadcast.root");
  return comm_->broadcast(data, bytes, root);
}

void train_context::scalar(const std::string& tag, double value, uint64_t step) {
  if (services_ != nullptr)
    services_->scalar(tag, value, step);
}

status train_context::training_dataset(const std::string& name, uint32_t version,
                                       training_dataset_shape* out) {
  if (services_ == nullptr)
    return status::error(errc::unavailable, "no feature store outside a cluster",
                         "data=fs:" + name);
  return services_->training_dataset(name, version, out);
}

status train_context::read_training_rows(const training_rows_request& req, training_rows* out,
                                         size_t max_request_bytes) {
  *out = training_rows{};
  if (services_ == nullptr)
    return status::error(errc::unavailable, "no feature store outside a cluster",
                         "data=fs:" + req.name);
  // The first request learns the width and the total; each later one asks
  // as many rows as fit max_request_bytes.
  uint64_t per = 256;
  const uint64_t end_wanted = req.count == 0 ? UINT64_MAX : req.offset + req.count;
  training_rows_request part = req;
  for (uint64_t at = req.offset;;) {
    part.offset = at;
    part.count = std::min(per, end_wanted - at);
    training_rows got;
    if (auto st = services_->read_training_rows(part, &got); !st) {
      *out = training_rows{};
      return st;
    }
    if (got.dim == 0 || got.labels.size() != got.ids.size() ||
        got.features.size() != got.ids.size() * size_t{got.dim} || got.ids.size() > part.count) {
      *out = training_rows{};
      return status::error(errc::malformed_frame, "a read of training rows came back inconsistent",
                           "data=fs:" + req.name);
    }
    out->dim = got.dim;
    out->total = got.total;
    out->ids.insert(out->ids.end(), got.ids.begin(), got.ids.end());
    out->features.insert(out->features.end(), got.features.begin(), got.features.end());
    out->labels.insert(out->labels.end(), got.labels.begin(), got.labels.end());
    at += got.ids.size();
    if (got.ids.empty() || at >= std::min(end_wanted, got.total))
      break;
    per = std::max<uint64_t>(1, max_request_bytes / (size_t{got.dim} * sizeof(float) + 16));
  }
  return status::ok();
}

} // namespace lagom
