#include "ddp/trial_gang.hpp"

#include <cctype>
#include <limits>

namespace lagom::ddp {

namespace {

// Group names take letters, digits, '-', '_' and '.' (rank_group.hpp).
std::string safe(const std::string& name) {
  std::string out;
  for (char c : name)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return out.empty() ? "search" : out;
}

job_options gang_options(uint32_t world) {
  job_options o;
  o.workers = world;
  // The search's policy counts attempts (max_retries): never give up here.
  o.max_restarts = std::numeric_limits<uint32_t>::max();
  return o;
}

} // namespace

trial_gang::trial_gang(const std::string& search, uint32_t world)
  : search_(safe(search)), world_(world), policy_(search_, gang_options(world)) {}

void trial_gang::start(uint32_t trial, uint32_t attempt) {
  trial_ = trial;
  attempt_ = attempt;
  running_ = true;
  values_ = named_values{};
  elapsed_ms_ = 0;
  why_ = status::ok();
  policy_.start_generation(world_);
}

std::string trial_gang::group_job(uint32_t trial) const {
  return search_ + "-t" + std::to_string(trial);
}

trial_gang::end trial_gang::rank_done(uint32_t rank, uint32_t trial, uint32_t attempt,
                                      const status& result, const named_values& values,
                                      double elapsed_ms) {
  if (!running_ || trial != trial_ || attempt != attempt_ || rank >= world_)
    return end::stale;
  if (rank == 0 && result) {
    values_ = values;
    elapsed_ms_ = elapsed_ms;
  }
  auto v = policy_.on_rank_end(rank, result);
  switch (v) {
    case job_policy::verdict::wait:
      return end::wait;
    case job_policy::verdict::finished:
      running_ = false;
      return end::finished;
    case job_policy::verdict::tear_down:
      // The first failure, other ranks still running: they are torn down
      // with the gang. A function's own error is not retried.
      running_ = false;
      why_ = result;
      return result.code() == errc::function_failed ? end::failed : end::lost;
    case job_policy::verdict::failed:
      running_ = false;
      why_ = policy_.why();
      return end::failed;
    case job_policy::verdict::restart:
      running_ = false;
      why_ = policy_.why();
      return end::lost;
  }
  return end::wait;
}

const char* to_string(trial_gang::end e) {
  switch (e) {
    case trial_gang::end::wait: return "wait";
    case trial_gang::end::finished: return "finished";
    case trial_gang::end::failed: return "failed";
    case trial_gang::end::lost: return "lost";
    case trial_gang::end::stale: return "stale";
  }
  return "?";
}

} // namespace lagom::ddp
