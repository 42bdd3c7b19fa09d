#include "gpu/gpu_discovery.hpp"

#ifdef LAGOM_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace lagom::gpu {

bool compiled_with_cuda() {
#ifdef LAGOM_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

std::vector<device_info> discover(std::string* why_none) {
  std::vector<device_info> out;
#ifdef LAGOM_HAVE_CUDA
  // With no driver, cudaGetDeviceCount fails and leaves the count untouched.
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    if (why_none)
      *why_none = std::string("CUDA runtime: ") + cudaGetErrorString(err) + " (error "
                  + std::to_string(static_cast<int>(err)) + ")";
    return out;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess)
      continue;
    out.push_back({static_cast<uint32_t>(i), prop.name,
                   static_cast<uint64_t>(prop.totalGlobalMem >> 20)});
  }
  if (out.empty() && why_none)
    *why_none = "CUDA runtime reports no devices";
#else
  if (why_none)
    *why_none = "built without CUDA";
#endif
  return out;
}

status bind_thread(uint32_t ordinal) {
#ifdef LAGOM_HAVE_CUDA
  cudaError_t err = cudaSetDevice(static_cast<int>(ordinal));
  if (err != cudaSuccess)
    return status::error(errc::not_found, cudaGetErrorString(err),
                         "cuda:" + std::to_string(ordinal));
  return status::ok();
#else
  return status::error(errc::not_found, "built without CUDA", "cuda:" + std::to_string(ordinal));
#endif
}

} // namespace lagom::gpu
