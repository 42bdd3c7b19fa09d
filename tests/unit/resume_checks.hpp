// What the ASHA and Hyperband resume tests share: adopting a trial as the
// trial table stores it, which leaves out the parent.
#pragma once

#include <catch2/catch.hpp>

#include "tuning/optimizer.hpp"

namespace lagom::tuning {

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
