#include "lagom/run_status.hpp"

namespace lagom {

const char* to_string(run_status v) noexcept {
  switch (v) {
    case run_status::queued: return "queued";
    case run_status::running: return "running";
    case run_status::finished: return "finished";
    case run_status::failed: return "failed";
    case run_status::stopped_early: return "stopped_early";
    case run_status::lost: return "lost";
    case run_status::cancelled: return "cancelled";
  }
  return "unknown";
}

bool run_status_named(const std::string& s, run_status* out) noexcept {
  for (auto v : {run_status::queued, run_status::running, run_status::finished,
                 run_status::failed, run_status::stopped_early, run_status::lost,
                 run_status::cancelled})
    if (s == to_string(v)) {
      *out = v;
      return true;
    }
  return false;
}

bool is_final(run_status s) noexcept {
  return s == run_status::finished || s == run_status::stopped_early;
}

bool has_ended(run_status s) noexcept {
  return is_final(s) || s == run_status::failed || s == run_status::lost ||
         s == run_status::cancelled;
}

} // namespace lagom
