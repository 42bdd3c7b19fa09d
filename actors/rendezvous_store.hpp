// rendezvous_store: the key-value store the ranks of a collective group meet
// through across processes and hosts (Gloo's addresses, NCCL's unique id).
// The map and the waiting are here; runtime/collective's backends see it as a
// collective::kv_store through make_rendezvous_store_client.
//
// Messages:
//   (atoms::kv_set, frame StoreSet) -> frame StoreValue (the key, empty value)
//       Stores a write-once key; a key already set is invalid_argument naming
//       it. Every `get` waiting for the key is answered at once.
//   (atoms::kv_get, frame StoreGet) -> frame StoreValue
//       Answers when the key exists: at once, or when it is set within
//       timeoutMs; otherwise a timeout error naming the key. timeoutMs above
//       600000 is invalid_argument naming "timeoutMs".
// A malformed frame is malformed_frame or wrong_schema naming its schema.
//
// Keys are never removed: a group uses a fresh prefix ("<job>.<generation>/")
// per generation, so the map grows by a few keys per group incarnation.
// Event-based (no blocking inside); one map per actor.
#pragma once

#include <chrono>
#include <memory>

#include <caf/fwd.hpp>

#include "collective/kv_store.hpp"

namespace lagom::actors {

caf::actor spawn_rendezvous_store(caf::actor_system& sys);

/// A collective::kv_store whose calls are requests to `store` (a
/// rendezvous_store, local or remote), each bounded by the call's timeout
/// plus `slack` for the round trip; an unreachable or dead store is a
/// timeout or io_error status. Thread-safe: each call uses its own scoped actor.
std::shared_ptr<collective::kv_store> make_rendezvous_store_client(
  caf::actor_system& sys, const caf::actor& store,
  std::chrono::milliseconds slack = std::chrono::milliseconds(5000));

} // namespace lagom::actors
