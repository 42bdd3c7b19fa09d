// bench_feature_store (f): online lookups through a `lagom head` process over
// loopback (feature_store_online.cpp).
#pragma once

#include <cstddef>
#include <string>

#include "storage/feature_frame.hpp"

namespace lagom::bench {

/// Starts `lagom_bin head`, stores the first `rows` rows of `fashion` as a
/// group through it, times `lookups` single-key lookups and prints p50/p99.
/// Non-zero when the head or a request failed (said on stderr).
int online_lookups(const storage::feature_frame& fashion, size_t rows, int lookups,
                   const std::string& lagom_bin);

} // namespace lagom::bench
