#include "actors/gpu_allocator.hpp"

#include <map>

#include <caf/all.hpp>

#include "core/log.hpp"
#include "wire/atoms.hpp"
#include "wire/errors.hpp"

namespace lagom::actors {

namespace {

struct gpu_allocator_state {
  // Constant after construction.
  std::vector<gpu::device_info> devices;
  std::shared_ptr<spdlog::logger> log;
  // Mutable: ordinal -> container holding it.
  std::map<uint32_t, uint64_t> bound;
};

bool has_device(const gpu_allocator_state& st, uint32_t ordinal) {
  for (auto& d : st.devices)
    if (d.ordinal == ordinal)
      return true;
  return false;
}

caf::behavior gpu_allocator(caf::stateful_actor<gpu_allocator_state>* self, std::string node,
                            std::vector<gpu::device_info> devices) {
  self->state.devices = std::move(devices);
  self->state.log = log::make(node, "gpu_allocator");
  self->state.log->debug("{} GPU(s) on this machine", self->state.devices.size());
  return {
    [=](atoms::bind, uint64_t container, const std::vector<uint32_t>& ordinals)
      -> caf::result<caf::unit_t> {
      auto& st = self->state;
      for (auto g : ordinals) {
        if (!has_device(st, g))
          return wire::to_error(status::error(errc::not_found, "no such GPU on this node",
                                              "cuda:" + std::to_string(g)));
        auto i = st.bound.find(g);
        if (i != st.bound.end() && i->second != container)
          return wire::to_error(status::error(
            errc::unavailable, "bound to container " + std::to_string(i->second),
            "cuda:" + std::to_string(g)));
      }
      for (auto g : ordinals)
        st.bound[g] = container;
      if (!ordinals.empty())
        st.log->info("container {} bound to {} GPU(s)", container, ordinals.size());
      return caf::unit;
    },
    [=](atoms::unbind, uint64_t container) {
      auto& bound = self->state.bound;
      for (auto i = bound.begin(); i != bound.end();)
        i = i->second == container ? bound.erase(i) : std::next(i);
    },
    [=](caf::get_atom) {
      std::vector<uint32_t> free;
      for (auto& d : self->state.devices)
        if (self->state.bound.count(d.ordinal) == 0)
          free.push_back(d.ordinal);
      return free;
    },
  };
}

} // namespace

caf::actor spawn_gpu_allocator(caf::actor_system& sys, std::string node,
                               std::vector<gpu::device_info> devices) {
  return sys.spawn(gpu_allocator, std::move(node), std::move(devices));
}

} // namespace lagom::actors
