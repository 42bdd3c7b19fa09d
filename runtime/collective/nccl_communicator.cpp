#include "collective/nccl_communicator.hpp"

#ifdef LAGOM_HAVE_CUDA
#include <cuda_runtime.h>
#include <nccl.h>

#include <cstring>
#include <thread>
#endif

namespace lagom::collective {

#ifndef LAGOM_HAVE_CUDA

bool nccl_compiled() noexcept { return false; }

std::unique_ptr<communicator> make_nccl(const group_options&, std::shared_ptr<kv_store>, int,
                                        status& st) {
  st = status::error(errc::unavailable, "this build of lagom has no CUDA, so no NCCL", "make_nccl");
  return nullptr;
}

#else

namespace {

using clock = std::chrono::steady_clock;

std::string nccl_text(ncclResult_t r) { return ncclGetErrorString(r); }

/// Polls `comm` until `done()` (or, without done, until its async state leaves
/// ncclInProgress), an error, or the deadline; aborts the communicator on failure.
template <class Done>
status watch(ncclComm_t comm, const char* op, clock::time_point deadline, Done&& done) {
  for (unsigned spins = 0;; ++spins) {
    ncclResult_t async = ncclSuccess;
    ncclResult_t r = ncclCommGetAsyncError(comm, &async);
    if (r != ncclSuccess) async = r;
    if (async != ncclSuccess && async != ncclInProgress) {
      std::string why = nccl_text(async) + ": " + ncclGetLastError(comm);
      ncclCommAbort(comm);
      return status::error(errc::io_error, why + "; the communicator was aborted",
                           std::string("nccl ") + op);
    }
    if (done(async)) return status::ok();
    if (clock::now() >= deadline) {
      ncclCommAbort(comm);
      return status::error(errc::timeout,
                           "not complete by the deadline (a rank is missing or stuck); "
                           "the communicator was aborted",
                           std::string("nccl ") + op);
    }
    if (spins > 200) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

class nccl_communicator final : public communicator {
public:
  nccl_communicator(ncclComm_t comm, cudaStream_t stream, float* scratch, const group_options& o)
    : comm_(comm), stream_(stream), scratch_(scratch), rank_(o.rank), size_(o.world_size),
      timeout_(o.op_timeout) {}

  ~nccl_communicator() override {
    if (broken_.is_ok()) {
      ncclResult_t r = ncclCommFinalize(comm_);
      if (r != ncclSuccess && r != ncclInProgress) {
        ncclCommAbort(comm_);
      } else if (watch(comm_, "finalize", clock::now() + timeout_,
                       [](ncclResult_t a) { return a == ncclSuccess; })) {
        ncclCommDestroy(comm_);  // otherwise watch aborted it
      }
    }
    cudaFree(scratch_);
    cudaStreamDestroy(stream_);
  }

  uint32_t rank() const noexcept override { return rank_; }
  uint32_t world_size() const noexcept override { return size_; }
  const char* backend() const noexcept override { return "nccl"; }

  status all_reduce(void* data, std::size_t count, dtype t, reduce_op op) override {
    if (!broken_.is_ok()) return broken_;
    if (count == 0) return status::ok();
    if (data == nullptr) return status::error(errc::invalid_argument, "data is null", "nccl all_reduce");
    ncclDataType_t nt = t == dtype::float32 ? ncclFloat32 : ncclFloat64;
    ncclRedOp_t ro = op == reduce_op::sum ? ncclSum : ncclAvg;
    return run("all_reduce", [&] { return ncclAllReduce(data, data, count, nt, ro, comm_, stream_); });
  }

  status broadcast(void* data, std::size_t bytes, uint32_t root) override {
    if (!broken_.is_ok()) return broken_;
    if (root >= size_)
      return status::error(errc::invalid_argument, "root " + std::to_string(root) + " not below world size " +
                                                     std::to_string(size_), "nccl broadcast");
    if (bytes == 0) return status::ok();
    return run("broadcast", [&] {
      return ncclBroadcast(data, data, bytes, ncclChar, static_cast<int>(root), comm_, stream_);
    });
  }

  status barrier() override {
    if (!broken_.is_ok()) return broken_;
    return run("barrier", [&] { return ncclAllReduce(scratch_, scratch_, 1, ncclFloat32, ncclSum, comm_, stream_); });
  }

  status all_gather(const void* in, std::size_t bytes, void* out) override {
    if (!broken_.is_ok()) return broken_;
    if (bytes == 0) return status::ok();
    return run("all_gather", [&] { return ncclAllGather(in, out, bytes, ncclChar, comm_, stream_); });
  }

private:
  template <class Launch>
  status run(const char* op, Launch&& launch) {
    auto deadline = clock::now() + timeout_;
    ncclResult_t r = launch();
    if (r != ncclSuccess && r != ncclInProgress) {
      ncclCommAbort(comm_);
      broken_ = status::error(errc::io_error, nccl_text(r) + "; the communicator was aborted",
                              std::string("nccl ") + op);
      return broken_;
    }
    // Enqueued (perhaps still in progress): wait for the enqueue, then the stream.
    status st = watch(comm_, op, deadline, [&](ncclResult_t async) {
      if (async == ncclInProgress) return false;
      return cudaStreamQuery(stream_) == cudaSuccess;
    });
    if (!st) broken_ = st;
    return st;
  }

  ncclComm_t comm_;
  cudaStream_t stream_;
  float* scratch_;
  uint32_t rank_;
  uint32_t size_;
  std::chrono::milliseconds timeout_;
  status broken_;
};

} // namespace

bool nccl_compiled() noexcept { return true; }

std::unique_ptr<communicator> make_nccl(const group_options& o, std::shared_ptr<kv_store> store,
                                        int device, status& st) {
  st = validate(o);
  if (!st) return nullptr;
  if (!store) {
    st = status::error(errc::invalid_argument, "no rendezvous store given", "make_nccl store");
    return nullptr;
  }
  int count = 0;
  cudaError_t ce = cudaGetDeviceCount(&count);
  if (ce != cudaSuccess || count == 0) {
    st = status::error(errc::unavailable,
                       std::string("no CUDA device (") +
                         (ce != cudaSuccess ? cudaGetErrorString(ce) : "0 devices") + ")",
                       "make_nccl");
    return nullptr;
  }
  if (device < 0 || device >= count) {
    st = status::error(errc::unavailable,
                       "device " + std::to_string(device) + " not among the " + std::to_string(count) +
                         " visible",
                       "make_nccl device");
    return nullptr;
  }
  if ((ce = cudaSetDevice(device)) != cudaSuccess) {
    st = status::error(errc::io_error, cudaGetErrorString(ce), "make_nccl cudaSetDevice");
    return nullptr;
  }
  auto deadline = clock::now() + o.rendezvous_timeout;
  auto kv = make_prefixed_store(std::move(store), group_name(o));
  ncclUniqueId id{};
  std::vector<char> bytes;
  if (o.rank == 0) {
    if (ncclResult_t r = ncclGetUniqueId(&id); r != ncclSuccess) {
      st = status::error(errc::io_error, nccl_text(r), "make_nccl ncclGetUniqueId");
      return nullptr;
    }
    bytes.assign(id.internal, id.internal + sizeof id.internal);
    if (st = kv->set("nccl_id", bytes); !st) return nullptr;
  } else {
    if (st = kv->get("nccl_id", o.rendezvous_timeout, bytes); !st) return nullptr;
    if (bytes.size() != sizeof id.internal) {
      st = status::error(errc::malformed_frame, "nccl_id has " + std::to_string(bytes.size()) +
                                                  " bytes, want " + std::to_string(sizeof id.internal),
                         "make_nccl store key nccl_id");
      return nullptr;
    }
    std::memcpy(id.internal, bytes.data(), bytes.size());
  }
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  ncclComm_t comm = nullptr;
  ncclResult_t r = ncclCommInitRankConfig(&comm, static_cast<int>(o.world_size), id,
                                          static_cast<int>(o.rank), &config);
  if (r != ncclSuccess && r != ncclInProgress) {
    if (comm) ncclCommAbort(comm);
    st = status::error(errc::io_error, nccl_text(r), "make_nccl ncclCommInitRankConfig");
    return nullptr;
  }
  st = watch(comm, "rendezvous", deadline, [](ncclResult_t a) { return a == ncclSuccess; });
  if (!st) return nullptr;
  cudaStream_t stream = nullptr;
  float* scratch = nullptr;
  if ((ce = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking)) != cudaSuccess ||
      (ce = cudaMalloc(reinterpret_cast<void**>(&scratch), sizeof(float))) != cudaSuccess) {
    ncclCommAbort(comm);
    if (stream) cudaStreamDestroy(stream);
    st = status::error(errc::io_error, cudaGetErrorString(ce), "make_nccl stream");
    return nullptr;
  }
  return std::make_unique<nccl_communicator>(comm, stream, scratch, o);
}

#endif

} // namespace lagom::collective
