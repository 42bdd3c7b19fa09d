// supervision::restart_policy: see restart_policy.hpp for the semantics.
//
// A restart made at time t counts while `now - t < window`; a one_for_all group
// restart counts once. The backoff is computed in double milliseconds and
// capped before it is turned back into a duration, so a large multiplier or
// many restarts cannot overflow.
#include "supervision/restart_policy.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace lagom::supervision {

restart_policy::restart_policy(restart_options opts) : opts_(std::move(opts)) {}

void restart_policy::expire(clock::time_point now) const {
  while (!restarts_.empty() && now - restarts_.front() >= opts_.window)
    restarts_.pop_front();
}

uint32_t restart_policy::restarts_in_window(clock::time_point now) const {
  expire(now);
  return static_cast<uint32_t>(restarts_.size());
}

namespace {

/// min(initial * multiplier^(k-1), max) for the k-th restart (k >= 1).
millis backoff(const restart_options& o, uint32_t k) {
  double ms = static_cast<double>(o.backoff_initial.count())
              * std::pow(o.backoff_multiplier, static_cast<double>(k - 1));
  double cap = static_cast<double>(o.backoff_max.count());
  if (!(ms < cap)) // also catches inf and nan
    ms = cap;
  return millis{static_cast<millis::rep>(std::max(ms, 0.0))};
}

} // namespace

decision restart_policy::on_failure(const std::string& child,
                                    const std::vector<std::string>& siblings,
                                    clock::time_point now) {
  decision d;
  uint32_t n = restarts_in_window(now);
  if (n >= opts_.max_restarts) {
    d.reason = child + " failed after " + std::to_string(n) + " restart(s) within "
               + std::to_string(opts_.window.count()) + " ms (max "
               + std::to_string(opts_.max_restarts) + "): giving up";
    return d;
  }
  restarts_.push_back(now);
  d.restart = true;
  d.delay = backoff(opts_, n + 1);
  if (opts_.strat == strategy::one_for_all) {
    d.children = siblings;
    // The caller passes `child` among `siblings`; if not, it is still restarted.
    if (std::find(siblings.begin(), siblings.end(), child) == siblings.end())
      d.children.push_back(child);
  } else {
    d.children = {child};
  }
  d.reason = child + " failed: restart " + std::to_string(n + 1) + " of "
             + std::to_string(opts_.max_restarts) + " in window"
             + (opts_.strat == strategy::one_for_all ? " (one_for_all)" : "")
             + ", after " + std::to_string(d.delay.count()) + " ms";
  return d;
}

} // namespace lagom::supervision
