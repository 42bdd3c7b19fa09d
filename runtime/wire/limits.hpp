// Limits applied to every frame a lagom process reads. Each says what it stops.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lagom::wire {

struct limits {
  /// Largest frame accepted from another process, in bytes. Stops a peer from
  /// making us allocate without bound before anything is decoded.
  size_t max_frame_bytes = 64u << 20;
  /// Cap'n Proto traversal limit in words. Stops amplification: a small frame
  /// whose pointers make a reader visit the same bytes again and again.
  uint64_t traversal_words = 16u << 20;
  /// Cap'n Proto nesting limit. Stops stack exhaustion from deep structs.
  int nesting = 32;
};

/// The limits used when none are given.
inline const limits& default_limits() {
  static const limits x{};
  return x;
}

} // namespace lagom::wire
