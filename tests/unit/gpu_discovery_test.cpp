// gpu::discover and gpu::bind_thread on whatever this machine has. Without a
// GPU (or driver, or CUDA at build time) discovery reports none with a reason
// and binding fails cleanly; the GPU part prints a visible SKIP.
#include <catch2/catch.hpp>

#include "gpu/gpu_discovery.hpp"

using namespace lagom;

TEST_CASE("GPU discovery reports what is there, or none with a reason", "[gpu]") {
  std::string why;
  auto gpus = gpu::discover(&why);
  if (gpus.empty()) {
    WARN("SKIP: no GPU here (" + why + "); the GPU part of this test did not run");
    CHECK_FALSE(why.empty());
    auto st = gpu::bind_thread(0);
    CHECK(st.code() == errc::not_found);
    CHECK(st.where() == "cuda:0");
    return;
  }
  for (size_t i = 0; i < gpus.size(); ++i) {
    CHECK(gpus[i].ordinal == i);
    CHECK_FALSE(gpus[i].name.empty());
    CHECK(gpus[i].memory_mb > 0);
    CHECK(gpu::bind_thread(gpus[i].ordinal).is_ok());
  }
  CHECK(gpu::bind_thread(static_cast<uint32_t>(gpus.size())).code() == errc::not_found);
}
