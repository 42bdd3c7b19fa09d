// lagom::collective::make_nccl: the NCCL backend, for ranks on GPUs.
//
// Buffers are device memory on this rank's GPU (`device`): all_reduce's
// `data`, broadcast's `data`, all_gather's `in` and `out`.
//
// Rendezvous: rank 0 makes the ncclUniqueId (128 bytes) and sets it in `store`
// under "<job>.<generation>/nccl_id"; the others get it (bounded by
// rendezvous_timeout). The communicator is nonblocking
// (ncclCommInitRankConfig with blocking = 0): its initialisation and every
// collective are polled, on the calling thread, through
// ncclCommGetAsyncError and cudaStreamQuery until done, failed or past the
// deadline (rendezvous_timeout, then op_timeout per operation). On an error
// or a deadline the watchdog calls ncclCommAbort (never ncclCommDestroy after
// a failure) and the communicator is broken. A healthy communicator is
// finalised and destroyed in the destructor, bounded by op_timeout, else aborted.
//
// Built only where CUDA is found (LAGOM_HAVE_CUDA, NCCL from the toolkit's
// library directory); elsewhere, and on a host with no GPU, make_nccl returns
// nullptr with `unavailable` saying why.
// Threading: one thread per communicator at a time.
#pragma once

#include <memory>

#include "collective/communicator.hpp"
#include "collective/group.hpp"
#include "collective/kv_store.hpp"

namespace lagom::collective {

/// True when this build has the NCCL backend compiled in.
bool nccl_compiled() noexcept;

/// A NCCL communicator on CUDA device `device`, or nullptr with `st`:
/// unavailable (built without CUDA, no device, device index out of range),
/// invalid_argument (a field), timeout (rendezvous), io_error (NCCL/CUDA).
std::unique_ptr<communicator> make_nccl(const group_options& opts, std::shared_ptr<kv_store> store,
                                        int device, status& st);

} // namespace lagom::collective
