#include "wire/network.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <dlfcn.h>

#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/native_socket.hpp>
#include <caf/io/network/scribe_impl.hpp>
#include <caf/io/receive_policy.hpp>
#include <caf/openssl/all.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "wire/limits.hpp"

namespace lagom::wire {

namespace {

namespace net = caf::io::network;

std::atomic<size_t> refused{0};

// CAF's TCP connection, refusing to set up a read above the bound.
class bounded_scribe : public net::scribe_impl {
public:
  bounded_scribe(net::default_multiplexer& mx, net::native_socket fd)
    : net::scribe_impl(mx, fd) {}

  void configure_read(caf::io::receive_policy::config cfg) override {
    if (cfg.second > max_read_bytes()) {
      // Shut the socket down: the next read sees the end of the stream and
      // CAF closes the connection as if the peer had (its broker cleans up).
      ++refused;
      std::fprintf(stderr,
                   "lagom: closing a connection from %s: it declared a message of %zu "
                   "bytes (limit %zu)\n",
                   addr().c_str(), cfg.second, max_read_bytes());
      ::shutdown(stream_.fd(), SHUT_RDWR);
      cfg = caf::io::receive_policy::at_most(1024);
    }
    net::scribe_impl::configure_read(cfg);
  }
};

class bounded_multiplexer : public net::default_multiplexer {
public:
  explicit bounded_multiplexer(caf::actor_system* sys) : net::default_multiplexer(sys) {}

  // As default_multiplexer::new_scribe, with the bounded scribe. Accepted
  // and outgoing connections (new_tcp_scribe) both come through here.
  caf::io::scribe_ptr new_scribe(net::native_socket fd) override {
    net::keepalive(fd, true);
    return caf::make_counted<bounded_scribe>(*this, fd);
  }
};

class bounded_middleman : public caf::io::middleman {
public:
  explicit bounded_middleman(caf::actor_system& sys) : caf::io::middleman(sys), backend_(&sys) {}

  net::multiplexer& backend() override { return backend_; }

  static caf::actor_system::module* make(caf::actor_system& sys, caf::detail::type_list<>) {
    return new bounded_middleman(sys);
  }

private:
  bounded_multiplexer backend_;
};

} // namespace

size_t max_read_bytes() {
  return default_limits().max_frame_bytes + (size_t{1} << 20);
}

void load_network(caf::actor_system_config& cfg, std::chrono::milliseconds connection_timeout) {
  cfg.load<bounded_middleman>();
  cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds(500)});
  if (connection_timeout.count() > 0)
    cfg.set("middleman.connection-timeout", caf::timespan{connection_timeout});
}

size_t refused_reads() {
  return refused.load();
}

} // namespace lagom::wire

// caf::openssl 0.17.6 calls SSL_read/SSL_write/SSL_accept/SSL_connect and
// then SSL_get_error without emptying the thread's OpenSSL error queue first
// (OpenSSL requires it), and drains a failed session's errors only when its
// logging is compiled in. A client that disconnects thus left an error that
// made the next session's harmless WANT_READ look fatal, closing an
// unrelated TLS connection (a node's, to the head). These definitions take
// the place of libssl's for caf_openssl (symbol interposition: this binary's
// definition comes first), empty the queue and call libssl's own.
namespace {

template <class Fn>
Fn next_symbol(const char* name) {
  static_assert(sizeof(Fn) == sizeof(void*));
  void* p = ::dlsym(RTLD_NEXT, name);
  if (p == nullptr) {
    std::fprintf(stderr, "lagom: %s not found in libssl\n", name);
    std::abort();
  }
  Fn f;
  std::memcpy(&f, &p, sizeof(f));
  return f;
}

} // namespace

extern "C" int SSL_read(SSL* s, void* buf, int num) {
  static auto real = next_symbol<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  return real(s, buf, num);
}

extern "C" int SSL_write(SSL* s, const void* buf, int num) {
  static auto real = next_symbol<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return real(s, buf, num);
}

extern "C" int SSL_accept(SSL* s) {
  static auto real = next_symbol<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  return real(s);
}

extern "C" int SSL_connect(SSL* s) {
  static auto real = next_symbol<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  return real(s);
}

namespace lagom::wire {

status use_tls(caf::actor_system_config& cfg, const std::string& dir) {
  for (const char* f : {"ca.pem", "cert.pem", "key.pem"}) {
    std::string path = dir + "/" + f;
    if (::access(path.c_str(), R_OK) != 0)
      return status::error(errc::invalid_argument,
                           "cannot read " + path
                             + " (a directory made by `lagom cert issue CA_DIR NAME`)",
                           "--tls");
  }
  cfg.openssl_cafile = dir + "/ca.pem";
  cfg.openssl_certificate = dir + "/cert.pem";
  cfg.openssl_key = dir + "/key.pem";
  cfg.load<caf::openssl::manager>();
  return status::ok();
}

caf::expected<uint16_t> publish(caf::actor_system& sys, const caf::actor& whom, uint16_t port,
                                const std::string& host, bool tls) {
  if (tls)
    return caf::openssl::publish(whom, port, host.c_str(), true);
  return sys.middleman().publish(whom, port, host.c_str(), true);
}

caf::expected<caf::actor> remote_actor(caf::actor_system& sys, const std::string& host,
                                       uint16_t port, bool tls) {
  if (tls)
    return caf::openssl::remote_actor<caf::actor>(sys, host, port);
  return sys.middleman().remote_actor(host, port);
}

} // namespace lagom::wire
