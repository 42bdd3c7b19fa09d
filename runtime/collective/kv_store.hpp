// lagom::collective::kv_store: the rendezvous key-value store a group's ranks
// meet through (Gloo's addresses, NCCL's unique id).
//
// Keys are write-once: a second set of an existing key fails (invalid_argument),
// which is why every group uses a fresh prefix (job and generation, see
// prefixed_store). Every wait is bounded by the caller's timeout.
//
// Implementations: memory_store (threads of one process), file_store (a
// directory: processes of one host, for tests), and the actor-served store in
// actors/ (across hosts). Threading: every implementation here is safe to call
// from several threads.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "lagom/status.hpp"

namespace lagom::collective {

class kv_store {
public:
  virtual ~kv_store() = default;

  /// Stores `value` under `key`. invalid_argument if the key already exists;
  /// io_error/timeout if the store cannot be reached.
  virtual status set(const std::string& key, const std::vector<char>& value) = 0;
  /// Blocks until `key` exists (at most `timeout`), then copies its value to
  /// `out`. timeout names the key when it never appeared.
  virtual status get(const std::string& key, std::chrono::milliseconds timeout,
                     std::vector<char>& out) = 0;
  /// Blocks until every key exists (at most `timeout`); timeout names the
  /// first missing key.
  virtual status wait(const std::vector<std::string>& keys, std::chrono::milliseconds timeout);
};

/// An in-process store: a map under a mutex, waits on a condition variable.
std::shared_ptr<kv_store> make_memory_store();

/// A store over a directory (one file per key, written to a temporary name
/// and renamed, so a reader never sees half a value); waits poll the
/// directory every millisecond until the deadline. For processes on one host.
std::shared_ptr<kv_store> make_file_store(const std::string& dir);

/// Every key of `inner` under "<prefix>/" (prefix: "<job>.<generation>").
std::shared_ptr<kv_store> make_prefixed_store(std::shared_ptr<kv_store> inner, std::string prefix);

} // namespace lagom::collective
