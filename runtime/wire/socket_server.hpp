// wire/socket_server: a TCP server of request frames (wire/socket_packet.hpp
// format), a thread per connection, each connection proving the cluster
// token before its first request. The online door of the head
// (actors/online_door.hpp) is one; plain C++ (no CAF).
//
// A connection:
//   1. the server sends hello (a fresh 32-byte nonce);
//   2. the client answers proof = HMAC-SHA256(token, label || nonce) within
//      `frame_timeout`; the server compares it with its own in constant time
//      (CRYPTO_memcmp). Missing or wrong: an error packet (unauthorized,
//      "missing cluster token" / "wrong cluster token"), the connection
//      closed, and a warn log naming the peer's address. Right: welcome.
//   3. then any number of request -> reply (or error) in order. The handler's
//      error goes back as an error packet and the connection stays.
// A bad packet (magic, kind, a declared length over `max_request_bytes`,
// which is refused unread), a packet not whole within `frame_timeout` of its
// first byte, or a connection idle for `idle_timeout` gets an error packet
// (where it can be sent), is closed, and is logged (warn, with the peer);
// other connections go on. Over `max_connections` open at once, a new one
// gets unavailable and is closed.
//
// Threading: start() spawns the accept thread; each connection has its own
// thread, which calls the handler (so the handler is called concurrently and
// must be thread-safe). stop() (and the destructor) wakes every thread,
// closes every socket and joins them all: once it returns, the handler is
// not running and is never called again.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "lagom/status.hpp"
#include "wire/frame.hpp"

namespace lagom::wire {

struct socket_server_options {
  std::string host = "127.0.0.1";  ///< numeric IPv4/IPv6 or a name
  uint16_t port = 0;               ///< 0: any free port (read it with port())
  std::string token;               ///< the cluster token; empty refuses every client
  std::string name = "online door";  ///< in errors and logs
  size_t max_connections = 64;
  /// Stops a peer that sends a header and then nothing from holding a thread.
  std::chrono::milliseconds frame_timeout{5000};
  /// A kept connection quiet this long is closed (the client reconnects).
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(10)};
  /// Stops a peer from making us allocate without bound (wire/limits.hpp).
  size_t max_request_bytes = 64u << 20;
  std::shared_ptr<spdlog::logger> log;  ///< required
};

class socket_server {
public:
  /// Answers one request frame: ok with *reply set, or the error to send back.
  using handler = std::function<status(const frame& request, frame* reply)>;

  /// Binds, listens and starts accepting. io_error naming HOST:PORT when the
  /// address cannot be resolved or bound; nothing runs then.
  static status start(socket_server_options options, handler h,
                      std::unique_ptr<socket_server>* out);

  ~socket_server();
  socket_server(const socket_server&) = delete;
  socket_server& operator=(const socket_server&) = delete;

  /// The bound port.
  uint16_t port() const noexcept;
  /// Stops and joins every thread (idempotent).
  void stop();

  struct impl;

private:
  explicit socket_server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> p_;
};

} // namespace lagom::wire
