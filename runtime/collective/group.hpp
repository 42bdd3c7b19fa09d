// lagom::collective::group_options: who a rank is in which group, and the two
// bounds every backend honours.
//
// A group is one generation of one job: `job` and `generation` name it, and
// every name a backend makes (a shared-memory segment, store keys) is derived
// from both, so a restarted generation never meets the leftovers of the last.
// Plain C++: no CAF.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "lagom/status.hpp"

namespace lagom::collective {

struct group_options {
  /// The job's id: letters, digits, '-', '_' and '.' only (it becomes part of
  /// a /dev/shm name and of store keys).
  std::string job;
  /// The group's incarnation; a restart after a failure uses the next one.
  uint64_t generation = 0;
  uint32_t rank = 0;
  uint32_t world_size = 1;
  /// How long creating the communicator may wait for every rank to arrive.
  std::chrono::milliseconds rendezvous_timeout{30000};
  /// How long one collective may take on this rank before it fails.
  std::chrono::milliseconds op_timeout{60000};
};

/// ok, or invalid_argument naming the field (job, rank, world_size, timeouts).
status validate(const group_options& o);

/// "<job>.<generation>": the group's name, the prefix of everything it names.
std::string group_name(const group_options& o);

} // namespace lagom::collective
