// What a lagom node started by Slurm (`srun lagom node --join slurm`) takes
// from the job's environment, and how it finds its head. Plain C++ (no CAF):
// the environment is read through a lookup function, so tests pass a map.
//
//   name      SLURMD_NODENAME (required)
//   cpus      SLURM_CPUS_ON_NODE (required; 1..4096)
//   memory    SLURM_MEM_PER_NODE in MB (absent: 0, the caller uses the machine's)
//   gpus      SLURM_STEP_GPUS, else CUDA_VISIBLE_DEVICES: comma-separated ids
//             ("" or "NoDevFiles": none); absent: not restricted by Slurm
//   job       SLURM_JOB_ID (required), SLURM_JOB_NODELIST (required): the
//             head runs on the job's first host (the batch host)
//   port      LAGOM_HEAD_PORT, unless the flag gave one (--join slurm:PORT)
//   token     LAGOM_TOKEN (the CLI's usual fallback)
// Every failure is invalid_argument naming the variable and its value.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lagom/status.hpp"

namespace lagom::slurm {

/// Returns the variable's value, or nullptr when it is unset (like getenv).
using env_lookup = std::function<const char*(const char*)>;

/// The process environment.
env_lookup process_env();

struct node_env {
  std::string name;               // SLURMD_NODENAME
  uint32_t cpus = 0;              // SLURM_CPUS_ON_NODE
  uint64_t memory_mb = 0;         // SLURM_MEM_PER_NODE; 0 = not given
  std::optional<std::vector<uint32_t>> gpus;  // granted GPU ids; nullopt = not restricted
  std::string job_id;             // SLURM_JOB_ID
  std::string head_host;          // first host of SLURM_JOB_NODELIST (a Slurm node name)
  uint16_t head_port = 0;         // from the flag or LAGOM_HEAD_PORT
};

/// Reads the node's settings. `port_flag` is the PORT of `--join slurm:PORT`
/// (0 when the flag was plain `slurm`: LAGOM_HEAD_PORT is then required).
status read_node_env(const env_lookup& env, uint16_t port_flag, node_env& out);

/// Splits a `--join` value: "slurm" -> true, port 0; "slurm:7070" -> true,
/// 7070; anything else -> false (an ordinary HOST:PORT). A bad port after
/// "slurm:" is invalid_argument.
status parse_slurm_join(const std::string& join, bool& is_slurm, uint16_t& port);

/// The NodeAddr= field of `scontrol show node NAME` output; not_found when
/// the output has none (an unknown node prints an error instead).
status parse_node_addr(const std::string& scontrol_output, std::string& addr);

/// Where a node started by Slurm keeps its own files (TensorBoard): its own
/// folder under the job's data directory, so pretend nodes sharing one
/// machine never share a directory: DATA/nodes/<name>.
std::string node_data_dir(const std::string& data_dir, const std::string& node_name);

/// A comma-separated list of GPU ids ("0,2"); "" and "NoDevFiles" are none.
status parse_gpu_list(const std::string& text, const char* variable,
                      std::vector<uint32_t>& out);

} // namespace lagom::slurm
