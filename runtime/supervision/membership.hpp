// membership: which node incarnations the head accepts (DESIGN.md section 3,
// "membership has epochs"). Plain C++, no CAF.
//
// Every node incarnation gets an epoch when the head accepts its join; a node
// the head drops (heartbeat timeout, lost connection, left) has that epoch
// fenced. A fenced incarnation's containers are orphans: the node kills them
// when it learns it was dropped (its heartbeat is answered errc::fenced, or
// the head closed its connection) and rejoins with a new epoch; until then,
// their writes are refused.
//
// Epochs: (head incarnation << 32) | n, n = 1, 2, ... in join order. The
// head incarnation is chosen by whoever starts the head (its start time in
// seconds), so an epoch issued by an earlier head process is unknown to a
// restarted one, and is refused like a fenced one. Epoch 0 means "not from a
// node": the head's own actors and drivers write with it.
//
// Writes (checkpoints, metrics, log records) carry the writer's epoch (the
// frame's epoch, wire/frame.hpp); admit_write decides.
//
// Threading: every member may be called from any thread (one mutex): the
// head's cluster_manager admits and fences, its services ask admit_write.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "lagom/status.hpp"

namespace lagom::supervision {

class membership {
public:
  /// `incarnation`: this head's number (e.g. its start time in seconds); the
  /// high 32 bits of every epoch it issues. 0 is replaced by 1.
  explicit membership(uint32_t incarnation);

  /// A new incarnation of `node` (a name, for messages): its epoch, live.
  uint64_t admit(const std::string& node);

  /// Fences `epoch` with the reason it was dropped ("no heartbeat for
  /// 2000 ms"). A fenced epoch stays fenced; an unknown one is ignored.
  void fence(uint64_t epoch, const std::string& why);

  /// True when `epoch` was admitted here and is not fenced.
  bool live(uint64_t epoch) const;
  bool fenced(uint64_t epoch) const;

  /// ok when a write carrying `epoch` may land: 0 (not from a node) or a
  /// live epoch. Else errc::fenced naming `door` (e.g. "checkpointer: save"),
  /// the epoch, its node and why it was fenced, or that this head never
  /// issued it.
  status admit_write(uint64_t epoch, const std::string& door) const;

  /// Why `epoch` is not live, for a node told it was fenced ("" if live).
  std::string why_not_live(uint64_t epoch) const;

  /// How many epochs were fenced.
  size_t fenced_count() const;

  uint32_t incarnation() const noexcept { return incarnation_; }

private:
  struct entry {
    std::string node;
    bool fenced = false;
    std::string why;
  };
  const uint32_t incarnation_;
  mutable std::mutex mu_;
  uint32_t next_ = 1;                 // guarded by mu_
  std::map<uint64_t, entry> epochs_;  // guarded by mu_
};

/// "E (incarnation I, #n)", for messages.
std::string epoch_text(uint64_t epoch);

} // namespace lagom::supervision
