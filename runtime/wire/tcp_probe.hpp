// wire/tcp_probe: whether a TCP peer can be reached now, bounded in time.
// Plain C++ (no CAF).
//
// A node asks this before it hands a rejoin to CAF, whose remote_actor
// connects with a blocking connect(): the kernel retries a silent peer's SYN
// for about two minutes, ever further apart (1 s, 3 s, 7 s, ...), so behind a
// partition that connect would sit long after the link healed.
//
// probe_tcp starts a fresh non-blocking connect every `every` while the
// earlier ones still wait (at most 8 open), and answers as soon as one
// opens: a link that heals mid-window is found within `every`, not at the
// next SYN retransmission of an attempt made while it was down. Only
// silence is waited out: an attempt answered otherwise (refused: nothing
// listens; no route) ends the probe at once with that error, and the
// caller's backoff paces the next. Every socket is closed before it returns.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace lagom::wire {

struct tcp_probe_result {
  bool connected = false;
  /// When not connected: why, e.g. "no connection within 1000 ms",
  /// "Connection refused" (the last attempt's error), "cannot resolve: ...".
  std::string why;
  uint32_t attempts = 0; // connects started
};

/// Tries host:port (IPv4) for up to `within`. `started`, when given, counts
/// the attempts as they start (a test's view into a running probe).
tcp_probe_result probe_tcp(const std::string& host, uint16_t port,
                           std::chrono::milliseconds within,
                           std::chrono::milliseconds every = std::chrono::milliseconds(250),
                           std::atomic<uint32_t>* started = nullptr);

/// The local address the kernel would send from towards host:port (a UDP
/// connect sends nothing); "127.0.0.1" when it cannot be told.
std::string address_towards(const std::string& host, uint16_t port);

} // namespace lagom::wire
