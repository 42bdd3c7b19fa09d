// lagom::collective::make_communicator: the backend for a group, chosen from
// where its ranks run (DESIGN.md section 6).
//
//   every rank on one host            -> shm
//   ranks on several hosts            -> gloo (TCP, through `store`)
//   `want = nccl` (GPU training)      -> nccl on `cuda_device`
//
// choose_backend is the decision alone (plain data in, plain data out), so it
// is tested without processes; make_communicator calls it and builds.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collective/communicator.hpp"
#include "collective/gloo_communicator.hpp"
#include "collective/group.hpp"
#include "collective/kv_store.hpp"

namespace lagom::collective {

enum class backend_kind : uint8_t { automatic, shm, gloo, nccl };

const char* to_string(backend_kind k) noexcept;

struct factory_options {
  backend_kind want = backend_kind::automatic;
  /// The host of every rank, indexed by rank (world_size entries).
  std::vector<std::string> rank_hosts;
  /// The rendezvous store (gloo and nccl need it; shm does not).
  std::shared_ptr<kv_store> store;
  gloo_options gloo;
  /// This rank's CUDA device, for nccl.
  int cuda_device = 0;
};

/// The backend for the group: ok with `out` set, or invalid_argument naming
/// the field (rank_hosts of the wrong length, shm asked for a group spanning
/// hosts).
status choose_backend(const group_options& g, const factory_options& f, backend_kind& out);

/// Chooses and builds; nullptr with `st` from choose_backend or the backend.
std::unique_ptr<communicator> make_communicator(const group_options& g, const factory_options& f,
                                                status& st);

} // namespace lagom::collective
