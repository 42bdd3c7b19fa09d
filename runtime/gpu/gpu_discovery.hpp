// GPU discovery and binding through the CUDA runtime. Builds and runs without
// CUDA: then, and on a machine with no GPU or no driver, it reports none.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lagom/status.hpp"

namespace lagom::gpu {

struct device_info {
  uint32_t ordinal = 0;
  std::string name;
  uint64_t memory_mb = 0;
};

/// The GPUs this process can use. `why_none`, when given, is set to the reason
/// none were found ("built without CUDA", "no CUDA driver (error 35)", ...).
std::vector<device_info> discover(std::string* why_none = nullptr);

/// Makes `ordinal` the current device of the calling thread (cudaSetDevice).
/// Fails with not_found when CUDA is absent or the ordinal does not exist.
status bind_thread(uint32_t ordinal);

/// True when this build has the CUDA paths compiled in.
bool compiled_with_cuda();

} // namespace lagom::gpu
