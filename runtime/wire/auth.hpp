// The cluster token as proof on every frame (DESIGN.md section 10).
//
// A lagom process that talks to others holds one cluster token (the head's
// --token / LAGOM_TOKEN). Every wire::frame it serializes carries that token
// next to its words (frame_caf.cpp); every frame it reads from another
// process is compared, in constant time, with its own, and marked proven or
// not (frame::proof()). The doors (cluster_manager, node_manager, the
// services) refuse a frame that is not proven with errc::unauthorized.
// Frames built in this process are proven: in-process sends never serialize.
//
// Why in the frame and not by who sent it: CAF 0.17's BASP lets a peer name
// any source node and actor in a routed message, so the sender of a remote
// message proves nothing; the frame's content is all a door can check.
// Without TLS the token travels in clear text: it keeps out whoever can reach
// a port but not read the traffic (see --tls for the rest).
//
// Threading: set_cluster_token before the actor system starts (or between
// tests); cluster_token() and proven() may be called from any thread.
#pragma once

#include <string>
#include <string_view>

namespace lagom::wire {

/// How a frame reached this process.
enum class proof : unsigned char {
  local,    ///< built here (never serialized)
  proven,   ///< from another process, carrying this process's cluster token
  missing,  ///< from another process, without a token (or this one has none)
  wrong,    ///< from another process, with a different token
};

/// Sets the token this process sends with every frame and expects in every
/// frame it reads. Empty: sends none and proves no remote frame.
void set_cluster_token(std::string token);

/// The token set last (a copy; empty when none).
std::string cluster_token();

/// How a frame that carried `carried` proves itself here (proven only when
/// this process has a token and the two are equal, compared in constant time).
proof judge_token(std::string_view carried);

/// True when a and b are equal and not empty. The time taken depends on the
/// lengths only, never on the position of the first difference.
bool token_equal(std::string_view a, std::string_view b) noexcept;

/// 32 hex digits from /dev/urandom (for a cluster that makes its own token,
/// e.g. an embedded cluster whose workers attach over loopback). Throws
/// std::runtime_error when /dev/urandom cannot be read.
std::string random_token();

/// "missing cluster token" / "wrong cluster token" / "" for local, proven.
const char* to_string(proof p) noexcept;

} // namespace lagom::wire
