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
  /// An absolute cap: a frame's own limit is the smaller of this and
  /// traversal_for(frame words) below.
  uint64_t traversal_words = 16u << 20;
  /// The traversal limit grows with the frame: this many words visited per
  /// word received, and never less than the floor. A 40-byte frame can
  /// declare a list of 16M empty structs (each counts one word): under the
  /// absolute cap alone a reader would visit them all; bounded by its size it
  /// is refused at once. A single pass over a legitimate frame visits each word
  /// about once, so the factor leaves room for readers that look twice.
  uint64_t traversal_per_word = 16;
  uint64_t traversal_floor_words = 64u << 10;
  /// Cap'n Proto nesting limit. Stops stack exhaustion from deep structs.
  int nesting = 32;
};

/// The traversal limit for a frame of `frame_words` words under `lim`:
/// min(traversal_words, max(traversal_floor_words, traversal_per_word x frame_words)).
inline uint64_t traversal_for(const limits& lim, uint64_t frame_words) {
  uint64_t by_size = lim.traversal_per_word * frame_words;
  if (by_size < lim.traversal_floor_words)
    by_size = lim.traversal_floor_words;
  return by_size < lim.traversal_words ? by_size : lim.traversal_words;
}

/// The limits used when none are given.
inline const limits& default_limits() {
  static const limits x{};
  return x;
}

} // namespace lagom::wire
