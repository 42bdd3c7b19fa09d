// lagom::collective::make_shm: the shared-memory backend, for a group whose
// ranks all run on one host. Nothing crosses a socket.
//
// Rendezvous: rank 0 creates the POSIX shared-memory segment
// "/lagom-<job>.<generation>" (any stale one of that name is removed first);
// the others open it, each writes its pid and the group waits until all have
// joined (bounded by rendezvous_timeout). Rank 0 then unlinks the name, so a
// segment never outlives the group in /dev/shm, even after kill -9 (the
// mapping lives on until the last rank unmaps it).
//
// Data path: an operation proceeds in chunks of at most `shm_chunk_bytes`
// (the segment holds two chunk-sized slots per rank plus two result slots, so
// chunk k+1 is filled while chunk k drains, and each stays in cache). An
// all-reduce is a reduce-scatter then an all-gather: each rank copies the
// part of the chunk the others reduce into its slot, reduces its own 1/N
// slice from every slot into the result slot, then copies the other slices
// back (two waits per chunk). An all-reduce of at most 32 KiB takes one step
// and one wait instead: every rank publishes its whole buffer and sums all
// of them itself, in rank order. Either way every rank ends with the same bits.
//
// Waiting: spin briefly, then futex-wait on a shared word in slices of a few
// milliseconds; between slices it checks the operation's deadline, the
// group's broken flag and whether each missing peer's process still lives
// (/proc/<pid>/stat, so a killed-but-unreaped peer counts as dead). A failure
// marks the whole group broken, so every rank fails promptly; the status is
// `timeout` (deadline) or `container_lost` (peer died) and names the
// operation and the rank.
//
// Threading: one thread per communicator at a time (see communicator.hpp).
#pragma once

#include <cstddef>
#include <memory>

#include "collective/communicator.hpp"
#include "collective/group.hpp"

namespace lagom::collective {

/// Bytes of user data one step moves (a multiple of 64); tests shrink it to
/// exercise chunking.
inline constexpr std::size_t shm_default_chunk_bytes = 1024 * 1024;

/// A communicator over shared memory, or nullptr with `st` saying why
/// (invalid_argument: a field; io_error: shm_open/mmap; timeout: not every
/// rank arrived within rendezvous_timeout, naming the missing ranks).
std::unique_ptr<communicator> make_shm(const group_options& opts, status& st,
                                       std::size_t shm_chunk_bytes = shm_default_chunk_bytes);

/// The /dev/shm name the group's segment has while the group assembles.
std::string shm_segment_name(const group_options& opts);

} // namespace lagom::collective
