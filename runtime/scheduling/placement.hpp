// scheduling::placement: choosing nodes for a run of identical containers.
//
// Pure functions over a snapshot of nodes; the ledger builds the snapshot
// (free or, for feasibility, full capacity) and commits what they choose.
// The PACK and SPREAD orders are those stated in ledger.hpp.
#pragma once

#include <cstdint>
#include <vector>

#include "scheduling/ledger.hpp"

namespace lagom::scheduling {

/// One node as placement sees it. free.gpus counts free GPU ordinals.
struct candidate {
  uint32_t node_id = 0;
  resources free;
  uint32_t placed = 0;  // containers of the current request put here
};

/// How many containers of `each` fit in `free`. Requires each.cpus > 0.
uint64_t fit_count(const resources& free, const resources& each);

/// Sums over a snapshot, used to explain why a request does not fit.
struct tally {
  uint64_t max_cpus = 0, max_memory_mb = 0, max_gpus = 0;  // on one node
  uint64_t sum_cpus = 0, sum_memory_mb = 0, sum_gpus = 0;  // over all nodes
  uint64_t fits = 0;  // containers of `each` the snapshot holds in all
};
tally count_up(const std::vector<candidate>& nodes, const resources& each);

/// Node ids for up to `count` containers of `each`, chosen one container at a
/// time by `how`, each choice seeing the ones before it. Returns fewer than
/// `count` ids when the nodes run out.
std::vector<uint32_t> choose_nodes(std::vector<candidate> nodes, const resources& each,
                                   uint32_t count, placement how);

} // namespace lagom::scheduling
