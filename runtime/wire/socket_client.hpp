// wire/socket_client: one kept connection to a socket_server
// (wire/socket_server.hpp), proving the cluster token once per connection.
// What a remote cluster's feature_store uses for online lookups
// (actors/api/feature_store.cpp). Plain C++ (no CAF).
//
// call() sends a request frame and waits for its reply, everything (the
// wait for the connection's lock, connecting, the proof, the request and
// the reply) bounded by its timeout. Outcomes:
//  - ok: *reply is the server's answer.
//  - the server's error (an unknown group, a bad key, ...), exactly as the
//    server's handler returned it; the connection stays.
//  - unauthorized: the server refused the token ("wrong cluster token" /
//    "missing cluster token"); the connection is closed.
//  - a kept connection found broken (the server closed it, restarted, ...)
//    is replaced once; when the new one fails too: io_error naming
//    "online door HOST:PORT" and why.
//  - timeout naming the door when no answer came in time (a stopped or
//    partitioned server); the connection is dropped (a late reply must not
//    answer the next call).
//
// Threading: call() may be called from any thread; calls take turns on the
// one connection (a mutex, waited on within the call's timeout).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "lagom/status.hpp"
#include "wire/frame.hpp"

namespace lagom::wire {

class socket_client {
public:
  /// Connects lazily, at the first call. `token` empty: the server refuses.
  socket_client(std::string host, uint16_t port, std::string token,
                size_t max_reply_bytes = 64u << 20);
  ~socket_client();
  socket_client(const socket_client&) = delete;
  socket_client& operator=(const socket_client&) = delete;

  status call(const frame& request, frame* reply, std::chrono::milliseconds timeout);

  /// "online door HOST:PORT", as errors name it.
  const std::string& name() const noexcept { return name_; }

private:
  using deadline = std::chrono::steady_clock::time_point;
  status connect(deadline by);
  status exchange(const frame& request, frame* reply, deadline by, bool* answered);
  void drop() noexcept;

  const std::string host_;
  const uint16_t port_;
  const std::string token_;
  const size_t max_reply_bytes_;
  const std::string name_;
  std::timed_mutex m_;
  int fd_ = -1;  // guarded by m_
};

} // namespace lagom::wire
