// The NCCL backend. With no GPU (or a build without CUDA) make_nccl must say
// so clearly, and the device checks are skipped with a visible reason. With a
// GPU: one rank per device, so one rank here (NCCL refuses two ranks on one
// GPU): all-reduce, broadcast, barrier and all-gather on device memory.
#include <catch2/catch.hpp>

#include "collective/kv_store.hpp"
#include "collective/nccl_communicator.hpp"
#include "collective_checks.hpp"

#ifdef LAGOM_HAVE_CUDA
#include <cuda_runtime.h>
#endif

using namespace lagom;
using namespace lagom::test;

TEST_CASE("nccl without a usable GPU reports unavailable and why", "[collective][nccl]") {
  status st;
  auto comm = collective::make_nccl(group_for(unique_job("ncclnone"), 0, 1),
                                    collective::make_memory_store(), 0, st);
  if (comm) {
    WARN("SKIP: a GPU is present, the no-GPU path is not reachable here");
    return;
  }
  CHECK(st.code() == errc::unavailable);
  INFO(st.to_string());
  CHECK((st.message().find("no CUDA") != std::string::npos ||
         st.message().find("not among") != std::string::npos));
}

TEST_CASE("nccl refuses a missing store and bad fields", "[collective][nccl]") {
  status st;
  auto o = group_for("ncclbad", 3, 2);
  CHECK(collective::make_nccl(o, collective::make_memory_store(), 0, st) == nullptr);
  CHECK(st.where() == "group_options.rank");
}

#ifdef LAGOM_HAVE_CUDA
TEST_CASE("nccl one rank on the GPU: all_reduce, broadcast, barrier, all_gather", "[collective][nccl]") {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    WARN("SKIP: no CUDA device here; the NCCL device checks did not run");
    return;
  }
  status st;
  auto comm = collective::make_nccl(group_for(unique_job("ncclone"), 0, 1),
                                    collective::make_memory_store(), 0, st);
  INFO(st.to_string());
  REQUIRE(comm != nullptr);
  CHECK(std::string(comm->backend()) == "nccl");
  const std::size_t n = 1001;
  std::vector<float> host(n);
  for (std::size_t i = 0; i < n; ++i) host[i] = rank_value<float>(0, i);
  float* dev = nullptr;
  REQUIRE(cudaMalloc(reinterpret_cast<void**>(&dev), n * sizeof(float)) == cudaSuccess);
  REQUIRE(cudaMemcpy(dev, host.data(), n * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess);
  CHECK(comm->all_reduce(dev, n, collective::dtype::float32, collective::reduce_op::sum).is_ok());
  CHECK(comm->all_reduce(dev, n, collective::dtype::float32, collective::reduce_op::average).is_ok());
  CHECK(comm->broadcast(dev, n * sizeof(float), 0).is_ok());
  CHECK(comm->barrier().is_ok());
  float* gathered = nullptr;
  REQUIRE(cudaMalloc(reinterpret_cast<void**>(&gathered), n * sizeof(float)) == cudaSuccess);
  CHECK(comm->all_gather(dev, n * sizeof(float), gathered).is_ok());
  std::vector<float> back(n);
  REQUIRE(cudaMemcpy(back.data(), gathered, n * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
  CHECK(check_reduced(back, 1, false, "nccl") == 0);
  CHECK(comm->broadcast(dev, 4, 1).code() == errc::invalid_argument);
  cudaFree(gathered);
  cudaFree(dev);
}
#endif
