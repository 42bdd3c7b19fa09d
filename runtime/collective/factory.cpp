#include "collective/factory.hpp"

#include "collective/nccl_communicator.hpp"
#include "collective/shm_communicator.hpp"

namespace lagom::collective {

const char* to_string(backend_kind k) noexcept {
  switch (k) {
    case backend_kind::automatic: return "automatic";
    case backend_kind::shm: return "shm";
    case backend_kind::gloo: return "gloo";
    case backend_kind::nccl: return "nccl";
  }
  return "unknown";
}

status choose_backend(const group_options& g, const factory_options& f, backend_kind& out) {
  if (auto st = validate(g); !st) return st;
  if (f.rank_hosts.size() != g.world_size)
    return status::error(errc::invalid_argument,
                         "has " + std::to_string(f.rank_hosts.size()) + " hosts for " +
                           std::to_string(g.world_size) + " ranks",
                         "factory_options.rank_hosts");
  bool one_host = true;
  for (const auto& h : f.rank_hosts) one_host = one_host && h == f.rank_hosts.front();
  switch (f.want) {
    case backend_kind::automatic:
      out = one_host ? backend_kind::shm : backend_kind::gloo;
      return status::ok();
    case backend_kind::shm:
      if (!one_host)
        return status::error(errc::invalid_argument,
                             "shm needs every rank on one host; ranks run on several",
                             "factory_options.want");
      out = backend_kind::shm;
      return status::ok();
    case backend_kind::gloo:
    case backend_kind::nccl:
      out = f.want;
      return status::ok();
  }
  return status::error(errc::invalid_argument, "unknown backend", "factory_options.want");
}

std::unique_ptr<communicator> make_communicator(const group_options& g, const factory_options& f,
                                                status& st) {
  backend_kind k = backend_kind::automatic;
  if (st = choose_backend(g, f, k); !st) return nullptr;
  switch (k) {
    case backend_kind::shm: return make_shm(g, st);
    case backend_kind::gloo: return make_gloo(g, f.store, st, f.gloo);
    case backend_kind::nccl: return make_nccl(g, f.store, f.cuda_device, st);
    case backend_kind::automatic: break;
  }
  st = status::error(errc::internal, "no backend chosen", "make_communicator");
  return nullptr;
}

} // namespace lagom::collective
