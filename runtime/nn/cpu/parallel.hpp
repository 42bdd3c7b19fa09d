// parallel_for: [0, n) cut into contiguous ranges, one per OpenMP thread, or
// run inline when n is below `serial_below` (a parallel region costs ~µs).
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstddef>

namespace lagom::nn::cpu {

template <class F>
void parallel_for(size_t n, size_t serial_below, F&& range) {
  if (n < serial_below || omp_get_max_threads() == 1) {
    range(size_t(0), n);
    return;
  }
#pragma omp parallel
  {
    const size_t T = size_t(omp_get_num_threads()), t = size_t(omp_get_thread_num());
    const size_t per = (n + T - 1) / T / 16 * 16 + 16; // 64-byte multiples
    const size_t lo = std::min(n, t * per), hi = std::min(n, lo + per);
    F local = range; // a private copy: the loop's pointers are not reloaded per element
    if (lo < hi)
      local(lo, hi);
  }
}

} // namespace lagom::nn::cpu
