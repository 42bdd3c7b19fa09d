// supervision::restart_policy: when and what a supervisor restarts.
//
// Plain C++ (no CAF, no clock reads: the caller passes `now`), so the policy is
// tested alone with a fake time line; actors/supervisor applies its decisions.
//
// Semantics (Erlang/OTP style):
//  - one_for_one: a failed child is restarted alone.
//  - one_for_all: a failed child takes its siblings down; all are restarted
//    (a DDP group: one rank dies, the group restarts).
//  - At most max_restarts restarts within any sliding `window`; the failure
//    that would exceed it makes the supervisor give up (escalate).
//  - Backoff: the k-th restart inside the window waits
//    min(backoff_initial * backoff_multiplier^(k-1), backoff_max).
//    Restarts older than the window no longer count, so a child that ran
//    quietly for a whole window starts again from backoff_initial.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace lagom::supervision {

using clock = std::chrono::steady_clock;
using millis = std::chrono::milliseconds;

enum class strategy { one_for_one, one_for_all };

struct restart_options {
  strategy strat = strategy::one_for_one;
  uint32_t max_restarts = 3;
  millis window{10000};
  millis backoff_initial{50};
  double backoff_multiplier = 2.0;
  millis backoff_max{2000};
};

struct decision {
  bool restart = false;               // false: give up and escalate
  std::vector<std::string> children;  // whom to (stop and) restart, in order
  millis delay{0};                    // wait this long first
  std::string reason;                 // for logs: why this decision
};

class restart_policy {
public:
  explicit restart_policy(restart_options opts = {});

  /// `child` failed at `now`; `siblings` are all current children in start
  /// order (including `child`). Records the restart if one is decided.
  decision on_failure(const std::string& child, const std::vector<std::string>& siblings,
                      clock::time_point now);

  /// Restarts counted in the window ending at `now`.
  uint32_t restarts_in_window(clock::time_point now) const;

  const restart_options& options() const { return opts_; }

private:
  void expire(clock::time_point now) const;

  restart_options opts_;
  mutable std::deque<clock::time_point> restarts_;
};

} // namespace lagom::supervision
