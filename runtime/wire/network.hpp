// wire::load_network: CAF's network layer (caf::io::middleman) with a bound
// on what a peer may declare.
//
// CAF 0.17.6 reads a BASP message whole before anything of lagom sees it: a
// header declares the payload's length (up to 4 GiB) and the connection's
// read buffer is resized to it, and zero-filled, at once. Nothing in CAF's
// settings bounds this (middleman.max-consecutive-reads counts reads, not
// bytes). So every lagom process loads this instead of the plain middleman:
// its connections are CAF's own (scribe_impl over the default multiplexer),
// except that a read larger than max_read_bytes is never set up; the
// connection is shut down instead (logged), CAF sees it close, and the
// process goes on serving everyone else.
//
// The bound covers limits::max_frame_bytes plus the BASP and CAF framing
// around a frame (stages, type names, the token): any message lagom sends
// fits, and anything larger was never a lagom frame.
#pragma once

#include <chrono>
#include <cstddef>

#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "lagom/status.hpp"

namespace lagom::wire {

/// The largest BASP payload a lagom process reads: the frame limit + 1 MiB.
size_t max_read_bytes();

/// Loads the bounded middleman into `cfg`, in place of
/// cfg.load<caf::io::middleman>(); sys.middleman() works as ever. Every
/// connection also sends a BASP heartbeat each 500 ms, so that a peer that
/// sets a connection timeout (`connection_timeout` > 0 here: a peer silent
/// that long is disconnected, and its proxies go down) tells a silent peer
/// from a quiet one.
void load_network(caf::actor_system_config& cfg,
                  std::chrono::milliseconds connection_timeout = std::chrono::milliseconds{0});

/// Refused oversized reads so far in this process (for tests and logs).
size_t refused_reads();

// TLS (--tls DIR): caf::openssl with this cluster's own CA. DIR holds
// ca.pem (the cluster CA's certificate), cert.pem (this process's, signed by
// that CA) and key.pem (its key), as `lagom cert issue` writes them. Both
// sides present a certificate and verify the other's against ca.pem; a peer
// without one, or with one of another CA, fails the handshake and none of its
// frames is read. (TLS connections are caf::openssl's own: the read bound
// above covers plain connections only.)

/// Checks that DIR/{ca,cert,key}.pem are readable files (else invalid_argument
/// naming the file and the flag) and loads caf::openssl with them into
/// `cfg`; call after load_network.
status use_tls(caf::actor_system_config& cfg, const std::string& dir);

/// Publishes `whom` on host:port, over TLS when `tls`; the bound port.
caf::expected<uint16_t> publish(caf::actor_system& sys, const caf::actor& whom, uint16_t port,
                                const std::string& host, bool tls);

/// A handle to the actor published at host:port, over TLS when `tls`.
caf::expected<caf::actor> remote_actor(caf::actor_system& sys, const std::string& host,
                                       uint16_t port, bool tls);

} // namespace lagom::wire
