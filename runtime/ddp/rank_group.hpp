// ddp::rank_group: what one rank of a DDP job holds while its function runs:
// the communicator of its generation, the first collective failure it saw,
// and its timeline.
//
//   ddp::group_spec g;  (decoded from the launch)
//   std::unique_ptr<ddp::rank_group> rg;
//   if (auto st = ddp::rank_group::open(g, rank, world, &rg); !st) ...  // rendezvous failed
//   ctx.attach_group(rg->comm(), g.settings, rg->trace());
//   ... the function runs ...
//   if (!rg->failure().is_ok()) report rg->failure() instead of the throw
//
// Why the failure is kept: a function turns a failed all-reduce into an
// exception of its own (function_failed), but the driver must tell a peer
// that vanished or timed out (restart the group) from the function's own bug
// (do not). The rank's communicator is wrapped so that the first failed
// collective's status (timeout or container_lost, naming the operation and
// the rank) survives whatever the function does with it.
//
// Backends: "shm" (every rank on one host) needs nothing more; "gloo" and
// "nccl" meet through `store` (the rendezvous_store the job's driver serves,
// reached through actors/rendezvous_store.hpp's client): the backends put
// their keys under "<job>.<generation>/", so a new generation never meets the
// last one's. gloo listens on `host`; nccl uses CUDA device 0 (the container
// sees only its own GPUs). Ownership: the rank_group owns the communicator
// and the timeline. Threading: the function's thread (the wrapped
// communicator is called by one thread at a time, as any).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "collective/communicator.hpp"
#include "collective/kv_store.hpp"
#include "core/timeline.hpp"
#include "lagom/status.hpp"
#include "lagom/train.hpp"

namespace lagom::ddp {

/// A rank's share of the launch: the group and the job's settings.
struct group_spec {
  std::string job;             ///< the job's id (letters, digits, '-', '_', '.')
  uint64_t generation = 0;
  std::string backend = "shm"; ///< "shm", "gloo" or "nccl"
  std::string host = "127.0.0.1"; ///< gloo: the address this rank listens on
  std::chrono::milliseconds rendezvous_timeout{30000};
  std::chrono::milliseconds collective_timeout{60000};
  data_parallel_settings settings;
  bool timeline = false;
  bool present() const { return !job.empty(); }
};

class rank_group {
public:
  /// Joins the group within rendezvous_timeout; `store` is needed by gloo
  /// and nccl (null: invalid_argument). Errors: invalid_argument (a field),
  /// timeout (ranks missing), unavailable (a backend this build or this
  /// machine cannot make: nccl without CUDA or a GPU), io_error (transport).
  static status open(const group_spec& g, uint32_t rank, uint32_t world,
                     std::shared_ptr<collective::kv_store> store,
                     std::unique_ptr<rank_group>* out);
  /// Wraps a communicator the caller made (gloo, nccl).
  static std::unique_ptr<rank_group> adopt(const group_spec& g,
                                           std::unique_ptr<collective::communicator> comm);
  ~rank_group();

  collective::communicator* comm();
  timeline* trace() { return trace_.get(); }
  /// The first failed collective's status; ok when none failed.
  const status& failure() const;
  /// "[rank r] <failure>" as the rank's exit reason: keeps the code.
  status exit_status() const;
  /// Writes the timeline (when kept) as one Chrome-trace file at `path`.
  status write_timeline(const std::string& path) const;

private:
  class recording;
  rank_group() = default;
  std::unique_ptr<recording> comm_;
  std::unique_ptr<timeline> trace_;
  uint32_t rank_ = 0;
};

} // namespace lagom::ddp
