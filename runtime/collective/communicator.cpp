#include "collective/communicator.hpp"

#include <cctype>

#include "collective/group.hpp"

namespace lagom::collective {

std::size_t size_of(dtype t) noexcept {
  switch (t) {
    case dtype::float32: return 4;
    case dtype::float64: return 8;
  }
  return 0;
}

const char* to_string(dtype t) noexcept {
  switch (t) {
    case dtype::float32: return "float32";
    case dtype::float64: return "float64";
  }
  return "unknown";
}

status validate(const group_options& o) {
  if (o.job.empty())
    return status::error(errc::invalid_argument, "must not be empty", "group_options.job");
  for (char c : o.job)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return status::error(errc::invalid_argument,
                           std::string("character '") + c +
                             "' not allowed (letters, digits, '-', '_', '.')",
                           "group_options.job");
  if (o.job.size() > 200)
    return status::error(errc::invalid_argument, "longer than 200 characters", "group_options.job");
  if (o.world_size == 0)
    return status::error(errc::invalid_argument, "must be at least 1", "group_options.world_size");
  if (o.rank >= o.world_size)
    return status::error(errc::invalid_argument,
                         "rank " + std::to_string(o.rank) + " not below world_size " +
                           std::to_string(o.world_size),
                         "group_options.rank");
  if (o.rendezvous_timeout.count() <= 0)
    return status::error(errc::invalid_argument, "must be positive",
                         "group_options.rendezvous_timeout");
  if (o.op_timeout.count() <= 0)
    return status::error(errc::invalid_argument, "must be positive", "group_options.op_timeout");
  return status::ok();
}

std::string group_name(const group_options& o) {
  return o.job + "." + std::to_string(o.generation);
}

} // namespace lagom::collective
