#include "scheduling/placement.hpp"

#include <algorithm>

namespace lagom::scheduling {

uint64_t fit_count(const resources& free, const resources& each) {
  uint64_t n = free.cpus / each.cpus;
  if (each.memory_mb > 0)
    n = std::min<uint64_t>(n, free.memory_mb / each.memory_mb);
  if (each.gpus > 0)
    n = std::min<uint64_t>(n, free.gpus / each.gpus);
  return n;
}

tally count_up(const std::vector<candidate>& nodes, const resources& each) {
  tally t;
  for (const auto& c : nodes) {
    t.max_cpus = std::max<uint64_t>(t.max_cpus, c.free.cpus);
    t.max_memory_mb = std::max<uint64_t>(t.max_memory_mb, c.free.memory_mb);
    t.max_gpus = std::max<uint64_t>(t.max_gpus, c.free.gpus);
    t.sum_cpus += c.free.cpus;
    t.sum_memory_mb += c.free.memory_mb;
    t.sum_gpus += c.free.gpus;
    t.fits += fit_count(c.free, each);
  }
  return t;
}

namespace {

// True when `a` is a better home than `b` for the next container.
bool better(const candidate& a, const candidate& b, placement how) {
  if (how == placement::spread) {
    if (a.placed != b.placed)
      return a.placed < b.placed;
    if (a.free.cpus != b.free.cpus)
      return a.free.cpus > b.free.cpus;
  } else if (a.free.cpus != b.free.cpus) {
    return a.free.cpus < b.free.cpus;  // best fit: least left afterwards
  }
  return a.node_id < b.node_id;
}

} // namespace

std::vector<uint32_t> choose_nodes(std::vector<candidate> nodes, const resources& each,
                                   uint32_t count, placement how) {
  std::vector<uint32_t> picks;
  while (picks.size() < count) {
    candidate* best = nullptr;
    for (auto& c : nodes)
      if (fit_count(c.free, each) > 0 && (best == nullptr || better(c, *best, how)))
        best = &c;
    if (best == nullptr)
      break;
    best->free.cpus -= each.cpus;
    best->free.memory_mb -= each.memory_mb;
    best->free.gpus -= each.gpus;
    best->placed += 1;
    picks.push_back(best->node_id);
  }
  return picks;
}

} // namespace lagom::scheduling
