// wire/socket_packet: Cap'n Proto frames over a plain TCP socket, the format
// of the head's online door (wire/socket_server.hpp, wire/socket_client.hpp).
// Plain C++ (no CAF).
//
// A packet, little-endian:
//   offset  0  u32  magic "LGOD" (0x444f474c)
//           4  u8   kind (below), then 3 zero bytes
//           8  u64  tag: a frame's schema id (request, reply); an errc (error)
//          16  u64  payload length in bytes, a multiple of 8
//          24  payload
// Kinds, in the order of a connection:
//   hello   server -> client: 32 random bytes (the nonce)
//   proof   client -> server: HMAC-SHA256(token, "lagom online door v1" ||
//           nonce), 32 bytes; none (0 bytes) when the client has no token
//   welcome server -> client: empty; the token was proven
//   request client -> server: a frame's words; reply: the answer's words
//   error   either way: the status (code in the tag; payload below)
// Error payload: u32 message length, u32 where length, the message, the
// where, zero padding to a multiple of 8.
//
// Limits: a declared payload over `max_bytes` is refused before anything is
// allocated for it (a peer cannot make us allocate without bound); every
// read and write ends by a deadline (a silent or stopped peer cannot hold a
// thread).
//
// Threading: the functions keep no state; one thread reads a socket at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <capnp/common.h>
#include <kj/array.h>

#include "lagom/status.hpp"

namespace lagom::wire {

enum class packet_kind : uint8_t { hello = 1, proof = 2, welcome = 3, request = 4, reply = 5, error = 6 };

/// "hello", "proof", ... ("kind N" for an unknown one).
std::string to_string(packet_kind k);

struct packet {
  packet_kind kind = packet_kind::error;
  uint64_t tag = 0;
  kj::Array<capnp::word> words;  ///< the payload (word-aligned, owned)
};

using deadline = std::chrono::steady_clock::time_point;

/// Sends one packet with `bytes` of `data` (bytes a multiple of 8) by `by`.
/// io_error naming `peer` when the socket fails or is closed; timeout when
/// the peer does not take the bytes by the deadline.
status send_packet(int fd, packet_kind kind, uint64_t tag, const void* data, size_t bytes,
                   deadline by, const std::string& peer);

/// Sends `s` (not ok) as an error packet.
status send_error(int fd, const status& s, deadline by, const std::string& peer);

/// Receives one packet: its first byte by `first_by` (the idle bound), the
/// rest by `whole_by` counted from the first byte (`whole` after it).
/// `stop_fd` (or -1): when it becomes readable the wait ends with
/// unavailable ("stopping"). Errors name `peer`: io_error for a closed or
/// failed socket ("connection closed" when the peer closed it between
/// packets), timeout, malformed_frame for a bad magic, kind, padding or
/// length (over `max_bytes` is refused unread).
status recv_packet(int fd, deadline first_by, std::chrono::milliseconds whole, size_t max_bytes,
                   int stop_fd, const std::string& peer, packet* out);

/// The status an error packet carries (malformed_frame when its payload
/// does not parse).
status error_of(const packet& p, const std::string& peer);

/// The proof of `token` for `nonce`: HMAC-SHA256(token, "lagom online door
/// v1" || nonce), 32 bytes. Empty when the token is empty.
std::string door_proof(const std::string& token, const void* nonce, size_t nonce_bytes);

/// 32 random bytes (OpenSSL's RAND_bytes). internal when it fails.
status door_nonce(std::string* out);

/// "HOST:PORT" of the socket's peer ("unknown peer" when it cannot be read).
std::string peer_address(int fd);

} // namespace lagom::wire
