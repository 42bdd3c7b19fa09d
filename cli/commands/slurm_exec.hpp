// The CLI's thin edge to Slurm's programs (sbatch, squeue, scontrol) and to
// name resolution. Decisions live in runtime/slurm (plain C++); this file only
// runs programs and resolves names.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "lagom/status.hpp"

namespace lagom::cli {

struct program_output {
  int code = -1;       // exit code; 128+N for signal N
  std::string out;     // stdout
  std::string err;     // stderr
};

/// Runs argv (searched on PATH) to completion, at most `timeout`; a program
/// still running then is killed and timeout returned. not_found when it
/// cannot be started (e.g. Slurm's client is not installed).
status run_program(const std::vector<std::string>& argv, program_output& out,
                   std::chrono::milliseconds timeout = std::chrono::seconds(30));

/// The address to reach Slurm node `name` at: the name itself when it
/// resolves, else the NodeAddr of `scontrol show node NAME` (pretend nodes
/// and clusters whose node names are not in DNS).
status resolve_slurm_host(const std::string& name, std::string& address);

/// The head's address inside a Slurm job: the first host of
/// SLURM_JOB_NODELIST (the batch host), resolved as above. invalid_argument
/// naming the variable when it is unset or malformed.
status slurm_head_address(std::string& address);

} // namespace lagom::cli
