#include "lagom/status.hpp"

namespace lagom {

const char* to_string(errc code) noexcept {
  switch (code) {
    case errc::ok: return "ok";
    case errc::invalid_argument: return "invalid_argument";
    case errc::not_found: return "not_found";
    case errc::malformed_frame: return "malformed_frame";
    case errc::wrong_schema: return "wrong_schema";
    case errc::unauthorized: return "unauthorized";
    case errc::unavailable: return "unavailable";
    case errc::infeasible: return "infeasible";
    case errc::container_lost: return "container_lost";
    case errc::function_failed: return "function_failed";
    case errc::io_error: return "io_error";
    case errc::timeout: return "timeout";
    case errc::internal: return "internal";
    case errc::fenced: return "fenced";
  }
  return "unknown";
}

std::string status::to_string() const {
  if (is_ok())
    return "ok";
  if (where_.empty())
    return msg_;
  return where_ + ": " + msg_;
}

} // namespace lagom
