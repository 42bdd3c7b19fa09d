#include "lagom/train.hpp"

#include <cstdio>

namespace lagom {

decision train_context::report(uint64_t step, const named_values& metrics) {
  if (services_ == nullptr)
    return decision::go_on;
  auto d = services_->report(step, metrics);
  if (d == decision::stop)
    stopped_ = true;
  return d;
}

status train_context::save_checkpoint(uint64_t step, const std::string& payload,
                                      const named_values& metadata) {
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
  if (services_ == nullptr) {
    std::fprintf(stderr, "[%s] %s\n", level.c_str(), message.c_str());
    return;
  }
  services_->log(level, message);
}

void train_context::scalar(const std::string& tag, double value, uint64_t step) {
  if (services_ != nullptr)
    services_->scalar(tag, value, step);
}

} // namespace lagom
