// The sbatch job `lagom slurm submit` writes: a head on the batch host, one
// `lagom node --join slurm` per allocated host (one srun step each, so a
// step can be cancelled alone), the .lagom script run against them with
// `lagom run --connect`, all in one data directory; on the script's end or a
// SIGTERM (scancel) it stops the script, then the nodes, then the head, each
// with SIGTERM and a bounded wait before SIGKILL. Plain C++ (no CAF): this
// file only validates options and renders text.
//
// Files of a job (JOB = the Slurm job id):
//   DATA/registry, DATA/checkpoints, DATA/logs   the head's, as for `lagom head`
//   DATA/nodes/<slurm node name>/               each node's own files
//   DATA/slurm/job-JOB.log                      the batch script's output (the run's output)
//   DATA/slurm/job-JOB/head.log, node-<host>.log, head.addr, job.env, state
#pragma once

#include <cstdint>
#include <string>

#include "lagom/status.hpp"

namespace lagom::slurm {

struct submit_options {
  std::string script;          // the .lagom file (absolute path)
  uint32_t nodes = 1;          // --nodes: hosts, one lagom node each
  uint32_t cpus_per_node = 0;  // --cpus-per-node (0: Slurm's default)
  uint32_t gpus_per_node = 0;  // --gpus-per-node, as --gres=gpu:G (0: none)
  std::string time;            // --time, Slurm's forms: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S
  std::string partition;       // --partition (empty: the default one)
  std::string lagom_binary;    // absolute path of the `lagom` every host runs
  std::string data_dir;        // absolute; on a filesystem every host sees
  std::string job_name;        // empty: lagom-<script stem>
};

/// Checks the options; invalid_argument naming the flag (`--time`, ...) and
/// the value when one is wrong. Paths must be absolute.
status validate(const submit_options& o);

/// True when `t` is one of Slurm's time forms (see submit_options::time).
bool valid_time(const std::string& t);

/// The sbatch script for `o` (validated first by the caller).
std::string render_batch_script(const submit_options& o);

/// `s` quoted for bash as one word ('...' with ' escaped).
std::string shell_quote(const std::string& s);

} // namespace lagom::slurm
