// gpu_allocator: which GPU of this machine belongs to which container.
//
// One per node, spawned and linked by node_manager; local only (its messages
// never cross processes, so they use plain CAF types, not frames).
//
// Messages:
//   (atoms::bind, uint64_t container, std::vector<uint32_t> ordinals) -> unit
//       Fails with not_found for an ordinal this machine lacks, and with
//       unavailable for one already bound to another container; then nothing
//       is bound.
//   (atoms::unbind, uint64_t container) -> unit      frees what it held
//   (caf::get_atom) -> std::vector<uint32_t>          free ordinals, ascending
//
// The container's thread itself calls gpu::bind_thread (cudaSetDevice is per
// thread); this actor only keeps the books so two containers never share a GPU.
#pragma once

#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "gpu/gpu_discovery.hpp"

namespace lagom::actors {

caf::actor spawn_gpu_allocator(caf::actor_system& sys, std::string node,
                               std::vector<gpu::device_info> devices);

} // namespace lagom::actors
