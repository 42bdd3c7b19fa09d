// wire/socket_server: accept loop, per-connection threads, the token proof.
#include "wire/socket_server.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <list>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "wire/socket_packet.hpp"

namespace lagom::wire {

namespace {

using clock = std::chrono::steady_clock;

struct connection {
  int fd = -1;
  std::thread thread;
  std::atomic<bool> done{false};
};

} // namespace

struct socket_server::impl {
  // Constant after start().
  socket_server_options opts;
  handler handle;
  int listen_fd = -1;
  int stop_rd = -1, stop_wr = -1;  // a byte written to stop_wr wakes every poll
  uint16_t port = 0;
  std::thread acceptor;
  // Owned by the accept thread until it is joined, then by stop().
  std::list<connection> conns;
  std::once_flag stopped;

  ~impl() {
    for (int fd : {listen_fd, stop_rd, stop_wr})
      if (fd >= 0)
        ::close(fd);
  }

  // Refuses the connection: an error packet (best effort), a warn log.
  void refuse(int fd, const std::string& peer, const status& why) {
    opts.log->warn("{}: refused {}: {}", opts.name, peer, why.to_string());
    send_error(fd, why, clock::now() + std::chrono::milliseconds(200), peer);
  }

  // hello -> proof -> welcome; false (refused, logged) when the proof fails.
  bool handshake(int fd, const std::string& peer) {
    std::string nonce;
    const auto by = clock::now() + opts.frame_timeout;
    if (auto st = door_nonce(&nonce); !st)
      return refuse(fd, peer, st), false;
    if (auto st = send_packet(fd, packet_kind::hello, 0, nonce.data(), nonce.size(), by, peer);
        !st)
      return false;
    packet p;
    if (auto st = recv_packet(fd, by, opts.frame_timeout, 64, stop_rd, peer, &p); !st) {
      if (st.code() != errc::unavailable)
        refuse(fd, peer, status::error(errc::unauthorized, "no proof of the cluster token: " +
                                                             st.message(), opts.name));
      return false;
    }
    if (p.kind != packet_kind::proof)
      return refuse(fd, peer, status::error(errc::unauthorized,
                                            "expected a proof of the cluster token, got " +
                                              to_string(p.kind), opts.name)),
             false;
    const std::string want = door_proof(opts.token, nonce.data(), nonce.size());
    auto got = p.words.asBytes();
    if (got.size() == 0)
      return refuse(fd, peer, status::error(errc::unauthorized, "missing cluster token",
                                            opts.name)),
             false;
    if (want.empty() || got.size() != want.size() ||
        CRYPTO_memcmp(got.begin(), want.data(), want.size()) != 0)
      return refuse(fd, peer, status::error(errc::unauthorized, "wrong cluster token",
                                            opts.name)),
             false;
    return send_packet(fd, packet_kind::welcome, 0, nullptr, 0, by, peer).is_ok();
  }

  void serve(connection& c) {
    const std::string peer = peer_address(c.fd);
    if (handshake(c.fd, peer)) {
      for (;;) {
        packet p;
        auto st = recv_packet(c.fd, clock::now() + opts.idle_timeout, opts.frame_timeout,
                              opts.max_request_bytes, stop_rd, peer, &p);
        if (st && p.kind != packet_kind::request)
          st = status::error(errc::malformed_frame, "expected a request, got " + to_string(p.kind),
                             peer);
        if (!st) {
          if (st.code() != errc::unavailable && st.message() != "connection closed")
            refuse(c.fd, peer, st);
          break;
        }
        frame request(p.tag, std::move(p.words));
        frame reply;
        const auto by = clock::now() + opts.frame_timeout;
        status answered;
        try {
          answered = handle(request, &reply);
        } catch (const std::exception& e) {  // e.g. bad_alloc: this request fails, not the head
          answered = status::error(errc::internal, e.what(), opts.name);
        }
        st = answered ? send_packet(c.fd, packet_kind::reply, reply.schema(), reply.bytes(),
                                    reply.size_bytes(), by, peer)
                      : send_error(c.fd, answered, by, peer);
        if (!st)
          break;
      }
    }
    ::shutdown(c.fd, SHUT_RDWR);  // closed by whoever joins this thread
    c.done = true;
  }

  // Joins and closes the connections whose threads have ended (all: wait).
  void reap(bool all) {
    for (auto it = conns.begin(); it != conns.end();) {
      if (!all && !it->done) {
        ++it;
        continue;
      }
      if (all)
        ::shutdown(it->fd, SHUT_RDWR);
      it->thread.join();
      ::close(it->fd);
      it = conns.erase(it);
    }
  }

  void accept_loop() {
    for (;;) {
      pollfd p[2] = {{listen_fd, POLLIN, 0}, {stop_rd, POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) {
        if (errno == EINTR)
          continue;
        opts.log->error("{}: poll: {}", opts.name, std::strerror(errno));
        return;
      }
      if ((p[1].revents & POLLIN) != 0)
        return;
      int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
                     errno == ENOBUFS)) {
        // Out of descriptors or memory: the pending connection stays
        // readable, so back off (100 ms, or until stopped) instead of spinning.
        opts.log->warn("{}: accept: {}", opts.name, std::strerror(errno));
        pollfd s{stop_rd, POLLIN, 0};
        ::poll(&s, 1, 100);
        continue;
      }
      if (fd < 0)
        continue;  // the peer went away before it was accepted
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      reap(false);
      if (conns.size() >= opts.max_connections) {
        refuse(fd, peer_address(fd),
               status::error(errc::unavailable,
                             "too many connections (" + std::to_string(opts.max_connections) +
                               " open)", opts.name));
        ::close(fd);
        continue;
      }
      auto& c = conns.emplace_back();
      c.fd = fd;
      c.thread = std::thread([this, &c] { serve(c); });
    }
  }
};

socket_server::socket_server(std::unique_ptr<impl> p) : p_(std::move(p)) {}

socket_server::~socket_server() { stop(); }

uint16_t socket_server::port() const noexcept { return p_->port; }

void socket_server::stop() {
  std::call_once(p_->stopped, [this] {
    char b = 1;
    (void)!::write(p_->stop_wr, &b, 1);
    if (p_->acceptor.joinable())
      p_->acceptor.join();
    ::close(p_->listen_fd);  // new connections are refused from now on
    p_->listen_fd = -1;
    p_->reap(true);
  });
}

status socket_server::start(socket_server_options o, handler h,
                            std::unique_ptr<socket_server>* out) {
  auto p = std::make_unique<impl>();
  const std::string where = o.host + ":" + std::to_string(o.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(o.host.c_str(), std::to_string(o.port).c_str(), &hints, &res);
      rc != 0)
    return status::error(errc::io_error, std::string("cannot resolve: ") + gai_strerror(rc),
                         where);
  std::string why = "no address";
  for (addrinfo* a = res; a != nullptr && p->listen_fd < 0; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    int one = 1;
    if (fd >= 0 && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
        ::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 128) == 0) {
      p->listen_fd = fd;
      break;
    }
    why = std::strerror(errno);
    if (fd >= 0)
      ::close(fd);
  }
  ::freeaddrinfo(res);
  if (p->listen_fd < 0)
    return status::error(errc::io_error, "cannot listen: " + why, where);
  sockaddr_storage a{};
  socklen_t n = sizeof a;
  ::getsockname(p->listen_fd, reinterpret_cast<sockaddr*>(&a), &n);
  p->port = ntohs(a.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&a)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return status::error(errc::io_error, std::string("pipe: ") + std::strerror(errno), where);
  p->stop_rd = pipe_fds[0];
  p->stop_wr = pipe_fds[1];
  p->opts = std::move(o);
  p->handle = std::move(h);
  impl* raw = p.get();
  p->acceptor = std::thread([raw] { raw->accept_loop(); });
  out->reset(new socket_server(std::move(p)));
  return status::ok();
}

} // namespace lagom::wire
