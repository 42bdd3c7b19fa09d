// ddp::job_policy: the decisions of a data-parallel (DDP) job's driver, in
// plain C++ (no CAF, no clock reads) so they are tested alone; the thin actor
// actors/ddp_job applies them (STYLE.md: policy + thin actor).
//
// A job runs `workers` ranks, one per container, as a gang. Its life is a
// series of generations; each generation is one group of ranks with a fresh
// rendezvous prefix "<job>.<generation>" (collective keys and shared-memory
// names are write-once: a restart never meets the last generation's).
//
//   validate -> ask(workers) -> grant(k) -> generation g: ranks 0..k-1 run
//     every rank ok                         -> finished
//     a rank lost (container or process died, a collective failed because a
//       peer vanished or timed out)         -> tear the group down (stop the
//       rest; they fail within the collective timeout), then restart every
//       rank as generation g+1 from the last checkpoint (one_for_all), at
//       most max_restarts times
//     a rank's function threw its own error -> failed with that error
//     a rank finished while another timed out in a collective (the ranks
//       disagree on the collectives they call: a deadlock) -> failed with
//       the timed-out rank's error, which names the rank and the collective
//
// Elastic size (torchrun's MIN:MAX): with min_workers < workers, a grant of
// k containers with min_workers <= k <= workers is accepted and the job runs
// with world size k (the data re-sharded k ways by the ranks themselves); a
// smaller grant is refused (released) and the gang of min_workers is asked
// for, queued.
//
// Threading: one owner (the actor). Errors are status values naming the field.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "lagom/status.hpp"

namespace lagom::ddp {

struct job_options {
  uint32_t workers = 1;        ///< ranks wanted (>= 1)
  uint32_t min_workers = 0;    ///< 0: workers (not elastic); else 1 <= min_workers <= workers
  uint32_t cpus = 1;           ///< per rank
  uint64_t memory_mb = 0;      ///< per rank
  uint32_t gpus = 0;           ///< per rank
  bool spread = false;         ///< one rank per node round robin (else pack)
  double bucket_mb = 25;       ///< gradient bucket size after the first (> 0)
  uint32_t accumulate = 1;     ///< micro-batches per all-reduce (>= 1)
  bool sync_bn = false;        ///< BatchNorm over the global batch
  std::string backend = "auto"; ///< "auto", "shm", "gloo" or "nccl"
  bool timeline = false;       ///< write a Chrome trace of every rank
  uint32_t max_restarts = 3;   ///< new generations after failures
  std::chrono::milliseconds rendezvous_timeout{30000};
  std::chrono::milliseconds collective_timeout{60000};
};

/// A node as validation sees it: its full capacity.
struct node_capacity {
  std::string name, host;
  uint32_t cpus = 0;
  uint64_t memory_mb = 0;
  uint32_t gpus = 0;
};

/// ok, or invalid_argument / infeasible naming the field: workers = 0,
/// min_workers > workers, bucket_mb <= 0, accumulate = 0, cpus = 0, timeouts
/// <= 0; gpus more than any node has ("gpus"); a gang of min(workers) that no
/// empty cluster of these nodes could hold ("workers"). No nodes: only the
/// option checks.
status validate(const job_options& o, const std::vector<node_capacity>& nodes);

/// The backend for ranks on `hosts` (one entry per rank) with `gpus_each`
/// GPUs each, as asked (`want`: "auto", "shm", "gloo", "nccl"): auto is
/// "shm" when every rank's host is the same, else "gloo" (never "nccl":
/// runtime/nn's tensors live in host memory, and NCCL reduces device
/// buffers, so a function that keeps them on a GPU asks for it by name).
/// Errors name
/// "backend": an unknown name, shm for ranks on several hosts, nccl without
/// GPUs or without NCCL in this build.
status choose_backend(const std::vector<std::string>& hosts, uint32_t gpus_each,
                      bool have_nccl, const std::string& want, std::string& out);

class job_policy {
public:
  job_policy(std::string job, job_options o);

  /// The gang to ask for first: workers, not queued.
  uint32_t first_ask() const { return opts_.workers; }
  uint32_t min_workers() const;
  /// Whether a grant of k containers can run (min_workers <= k <= workers).
  bool accept(uint32_t granted) const;

  /// A new generation of `world` ranks begins (the first is generation 1).
  void start_generation(uint32_t world);
  uint64_t generation() const { return generation_; }
  uint32_t world_size() const { return world_; }
  /// "<job>.<generation>": what the group's names and keys start with.
  std::string rendezvous_prefix() const;
  uint32_t restarts() const { return restarts_; }

  enum class verdict {
    wait,       ///< ranks of this generation still run
    tear_down,  ///< the first failure of this generation: stop the other ranks
    finished,   ///< every rank returned ok
    restart,    ///< start the next generation (release, ask again)
    failed,     ///< give up: why()
  };
  /// Rank `rank` of the current generation ended with `result` (a function's
  /// own throw is function_failed; a lost container or process, or a
  /// collective whose peer vanished, container_lost; a collective past its
  /// deadline, timeout). Ends of another generation are the caller's to drop.
  verdict on_rank_end(uint32_t rank, const status& result);
  /// Why the job failed (after verdict failed), or the error that caused the
  /// last restart.
  const status& why() const { return why_; }
  /// Ranks of the current generation that have not ended.
  uint32_t running() const { return running_; }

private:
  verdict generation_over();

  const std::string job_;
  const job_options opts_;
  uint64_t generation_ = 0;
  uint32_t world_ = 0;
  uint32_t running_ = 0;
  uint32_t restarts_ = 0;
  // This generation:
  bool failing_ = false;        // a rank failed: the rest are being torn down
  bool ok_before_failure_ = false;
  status first_failure_;        // the first failure (by arrival)
  status own_error_;            // the first function_failed
  status why_;
};

const char* to_string(job_policy::verdict v);

} // namespace lagom::ddp
