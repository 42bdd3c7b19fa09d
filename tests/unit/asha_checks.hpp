// What the ASHA and Hyperband tests share (Hyperband runs ASHA ladders):
// asking one trial, and adopting a trial as the trial table stores it,
// which leaves out the parent.
#pragma once

#include <catch2/catch.hpp>

#include "tuning/optimizer.hpp"

namespace lagom::tuning {

/// Asks `opt` for trial `next_id` (then counts on); it must be ready.
inline trial ask_one(optimizer& opt, uint32_t& next_id) {
  trial t;
  t.id = next_id++;
  REQUIRE(opt.ask(t) == ask_status::ready);
  return t;
}

/// Adopts `asked` without its parent and checks that adopt derives the
/// parent the original ask gave.
inline void adopt_as_stored(optimizer& opt, const trial& asked) {
  trial stored = asked;
  stored.parent.reset();
  opt.adopt(stored);
  INFO("trial " << asked.id);
  CHECK(stored.parent == asked.parent);
}

} // namespace lagom::tuning
