// wire/socket_client: connect with a deadline, prove the token, call.
#include "wire/socket_client.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wire/socket_packet.hpp"

namespace lagom::wire {

namespace {

using clock = std::chrono::steady_clock;

int ms_left(std::chrono::steady_clock::time_point by) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(by - clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

// A non-blocking connect finished by the deadline; the socket or -1 with *why.
int connect_by(const addrinfo* a, clock::time_point by, std::string* why) {
  int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
  if (fd < 0) {
    *why = std::strerror(errno);
    return -1;
  }
  int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int n = ::poll(&p, 1, ms_left(by));
    int err = 0;
    socklen_t len = sizeof err;
    if (n <= 0) {
      err = ETIMEDOUT;
    } else {
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    }
    rc = err == 0 ? 0 : -1;
    errno = err;
  }
  if (rc != 0) {
    *why = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

} // namespace

socket_client::socket_client(std::string host, uint16_t port, std::string token,
                             size_t max_reply_bytes)
  : host_(std::move(host)),
    port_(port),
    token_(std::move(token)),
    max_reply_bytes_(max_reply_bytes),
    name_("online door " + host_ + ":" + std::to_string(port_)) {}

socket_client::~socket_client() { drop(); }

void socket_client::drop() noexcept {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

status socket_client::connect(deadline by) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &res); rc != 0)
    return status::error(errc::io_error, std::string("cannot resolve: ") + gai_strerror(rc),
                         name_);
  std::string why = "no address";
  for (addrinfo* a = res; a != nullptr && fd_ < 0; a = a->ai_next)
    fd_ = connect_by(a, by, &why);
  ::freeaddrinfo(res);
  if (fd_ < 0)
    return status::error(why == std::strerror(ETIMEDOUT) ? errc::timeout : errc::io_error,
                         "cannot connect: " + why, name_);
  // hello (the nonce) -> proof -> welcome, or the server's refusal.
  packet p;
  auto st = recv_packet(fd_, by, std::chrono::milliseconds(ms_left(by)), 64, -1, name_, &p);
  if (st && p.kind == packet_kind::error)
    st = error_of(p, name_);
  else if (st && p.kind != packet_kind::hello)
    st = status::error(errc::malformed_frame, "expected hello, got " + to_string(p.kind), name_);
  if (st) {
    auto nonce = p.words.asBytes();
    std::string proof = door_proof(token_, nonce.begin(), nonce.size());
    st = send_packet(fd_, packet_kind::proof, 0, proof.data(), proof.size(), by, name_);
  }
  if (st)
    st = recv_packet(fd_, by, std::chrono::milliseconds(ms_left(by)), 1 << 16, -1, name_, &p);
  if (st && p.kind == packet_kind::error)
    st = error_of(p, name_);
  else if (st && p.kind != packet_kind::welcome)
    st = status::error(errc::malformed_frame, "expected welcome, got " + to_string(p.kind), name_);
  if (!st)
    drop();
  return st;
}

status socket_client::exchange(const frame& request, frame* reply, deadline by, bool* answered) {
  auto st = send_packet(fd_, packet_kind::request, request.schema(), request.bytes(),
                        request.size_bytes(), by, name_);
  packet p;
  if (st)
    st = recv_packet(fd_, by, std::chrono::milliseconds(ms_left(by)), max_reply_bytes_, -1,
                     name_, &p);
  if (!st)
    return st;
  *answered = p.kind == packet_kind::error;
  if (p.kind == packet_kind::error)
    return error_of(p, name_);
  if (p.kind != packet_kind::reply)
    return status::error(errc::malformed_frame, "expected a reply, got " + to_string(p.kind),
                         name_);
  *reply = frame(p.tag, std::move(p.words));
  return status::ok();
}

status socket_client::call(const frame& request, frame* reply, std::chrono::milliseconds timeout) {
  const deadline by = clock::now() + timeout;
  std::unique_lock<std::timed_mutex> lock(m_, by);
  if (!lock.owns_lock())
    return status::error(errc::timeout, "no turn on the connection within " +
                                           std::to_string(timeout.count()) + " ms", name_);
  // A kept connection may have been closed by the server since the last
  // call: then one fresh connection is tried.
  for (int attempt = 0;; ++attempt) {
    const bool kept = fd_ >= 0;
    bool answered = false;  // the server's own error: the connection is fine
    status st = kept ? status::ok() : connect(by);
    if (st)
      st = exchange(request, reply, by, &answered);
    if (st || answered)
      return st;
    const bool transport = st.code() == errc::io_error || st.code() == errc::timeout ||
                           st.code() == errc::malformed_frame || st.code() == errc::unauthorized;
    if (transport)
      drop();
    if (st.code() == errc::io_error && kept && attempt == 0)
      continue;
    if (st.code() == errc::io_error)
      return status::error(errc::io_error, st.message(), name_);
    return st;
  }
}

} // namespace lagom::wire
