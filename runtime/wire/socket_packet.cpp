// wire/socket_packet: packets over a socket with deadlines (poll), the
// door's HMAC proof (OpenSSL libcrypto).
#include "wire/socket_packet.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace lagom::wire {

namespace {

constexpr uint32_t magic = 0x444f474cu;  // "LGOD" little-endian
constexpr size_t header_bytes = 24;
constexpr char proof_label[] = "lagom online door v1";

void put_u32(unsigned char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<unsigned char>(v >> (8 * i));
}
void put_u64(unsigned char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<unsigned char>(v >> (8 * i));
}
uint32_t get_u32(const unsigned char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}
uint64_t get_u64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

int ms_left(deadline by) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    by - std::chrono::steady_clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
}

// Waits until fd is ready for `events` (POLLIN / POLLOUT) or `stop_fd` is
// readable or the deadline passes.
status wait_ready(int fd, short events, int stop_fd, deadline by, const std::string& peer,
                  const char* what) {
  for (;;) {
    pollfd p[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
    int n = ::poll(p, stop_fd >= 0 ? 2 : 1, ms_left(by));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return status::error(errc::io_error, std::string("poll: ") + std::strerror(errno), peer);
    if (stop_fd >= 0 && (p[1].revents & POLLIN) != 0)
      return status::error(errc::unavailable, "stopping", peer);
    if (n == 0)
      return status::error(errc::timeout, std::string("no answer while ") + what +
                                            " by the deadline", peer);
    return status::ok();
  }
}

// Reads 1..n bytes into p (*got), waiting (poll) only when none are there
// yet: a payload that came with its header costs one recv, no poll.
status read_some(int fd, unsigned char* p, size_t n, int stop_fd, deadline by,
                 const std::string& peer, size_t* got) {
  for (;;) {
    ssize_t r = ::recv(fd, p, n, MSG_DONTWAIT);
    if (r > 0) {
      *got = static_cast<size_t>(r);
      return status::ok();
    }
    if (r == 0)
      return status::error(errc::io_error, "connection closed", peer);
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return status::error(errc::io_error, std::string("recv: ") + std::strerror(errno), peer);
    if (auto st = wait_ready(fd, POLLIN, stop_fd, by, peer, "reading"); !st)
      return st;
  }
}

status read_exact(int fd, unsigned char* p, size_t n, int stop_fd, deadline by,
                  const std::string& peer) {
  for (size_t done = 0, got = 0; done < n; done += got)
    if (auto st = read_some(fd, p + done, n - done, stop_fd, by, peer, &got); !st)
      return st;
  return status::ok();
}

status write_exact(int fd, const unsigned char* p, size_t n, deadline by,
                   const std::string& peer) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::send(fd, p + done, n - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (auto st = wait_ready(fd, POLLOUT, -1, by, peer, "writing"); !st)
        return st;
      continue;
    }
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return status::error(errc::io_error, std::string("send: ") + std::strerror(errno), peer);
    done += static_cast<size_t>(w);
  }
  return status::ok();
}

} // namespace

std::string to_string(packet_kind k) {
  switch (k) {
    case packet_kind::hello: return "hello";
    case packet_kind::proof: return "proof";
    case packet_kind::welcome: return "welcome";
    case packet_kind::request: return "request";
    case packet_kind::reply: return "reply";
    case packet_kind::error: return "error";
  }
  return "kind " + std::to_string(static_cast<unsigned>(k));
}

status send_packet(int fd, packet_kind kind, uint64_t tag, const void* data, size_t bytes,
                   deadline by, const std::string& peer) {
  if (bytes % 8 != 0)
    return status::error(errc::internal, "a packet's payload must be a multiple of 8 bytes",
                         peer);
  unsigned char h[header_bytes] = {};
  put_u32(h, magic);
  h[4] = static_cast<unsigned char>(kind);
  put_u64(h + 8, tag);
  put_u64(h + 16, bytes);
  if (bytes <= 4096) {  // one send: a small request is one segment on the wire
    unsigned char buf[header_bytes + 4096];
    std::memcpy(buf, h, header_bytes);
    if (bytes > 0)
      std::memcpy(buf + header_bytes, data, bytes);
    return write_exact(fd, buf, header_bytes + bytes, by, peer);
  }
  if (auto st = write_exact(fd, h, header_bytes, by, peer); !st)
    return st;
  return write_exact(fd, static_cast<const unsigned char*>(data), bytes, by, peer);
}

status send_error(int fd, const status& s, deadline by, const std::string& peer) {
  std::string body(8, '\0');
  put_u32(reinterpret_cast<unsigned char*>(body.data()), static_cast<uint32_t>(s.message().size()));
  put_u32(reinterpret_cast<unsigned char*>(body.data()) + 4,
          static_cast<uint32_t>(s.where().size()));
  body += s.message();
  body += s.where();
  body.resize((body.size() + 7) / 8 * 8, '\0');
  return send_packet(fd, packet_kind::error, static_cast<uint64_t>(s.code()), body.data(),
                     body.size(), by, peer);
}

status recv_packet(int fd, deadline first_by, std::chrono::milliseconds whole, size_t max_bytes,
                   int stop_fd, const std::string& peer, packet* out) {
  unsigned char h[header_bytes];
  size_t got = 0;
  // The first bytes by the idle bound, then the whole packet within `whole`.
  if (auto st = read_some(fd, h, header_bytes, stop_fd, first_by, peer, &got); !st)
    return st;
  const deadline by = std::chrono::steady_clock::now() + whole;
  if (auto st = read_exact(fd, h + got, header_bytes - got, stop_fd, by, peer); !st)
    return st;
  if (get_u32(h) != magic)
    return status::error(errc::malformed_frame, "not a lagom online door packet (bad magic)",
                         peer);
  const unsigned k = h[4];
  if (k < 1 || k > 6 || h[5] != 0 || h[6] != 0 || h[7] != 0)
    return status::error(errc::malformed_frame, "unknown packet kind " + std::to_string(k), peer);
  const uint64_t bytes = get_u64(h + 16);
  if (bytes > max_bytes)
    return status::error(errc::malformed_frame,
                         "declared length " + std::to_string(bytes) + " bytes exceeds the cap of " +
                           std::to_string(max_bytes),
                         peer);
  if (bytes % 8 != 0)
    return status::error(errc::malformed_frame,
                         "declared length " + std::to_string(bytes) + " is not a multiple of 8",
                         peer);
  out->kind = static_cast<packet_kind>(k);
  out->tag = get_u64(h + 8);
  out->words = kj::heapArray<capnp::word>(bytes / 8);
  return read_exact(fd, reinterpret_cast<unsigned char*>(out->words.begin()), bytes, stop_fd, by,
                    peer);
}

status error_of(const packet& p, const std::string& peer) {
  auto bytes = p.words.asBytes();
  if (bytes.size() < 8)
    return status::error(errc::malformed_frame, "an error packet without its lengths", peer);
  const uint64_t m = get_u32(bytes.begin()), w = get_u32(bytes.begin() + 4);
  if (8 + m + w > bytes.size() || p.tag == 0 || p.tag > 255)
    return status::error(errc::malformed_frame, "an error packet whose lengths lie", peer);
  const char* c = reinterpret_cast<const char*>(bytes.begin()) + 8;
  return status::error(static_cast<errc>(p.tag), std::string(c, m), std::string(c + m, w));
}

std::string door_proof(const std::string& token, const void* nonce, size_t nonce_bytes) {
  if (token.empty())
    return {};
  std::string msg(proof_label);
  msg.append(static_cast<const char*>(nonce), nonce_bytes);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (HMAC(EVP_sha256(), token.data(), static_cast<int>(token.size()),
           reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &len) == nullptr)
    return {};
  return std::string(reinterpret_cast<const char*>(mac), len);
}

status door_nonce(std::string* out) {
  out->assign(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out->data()), 32) != 1)
    return status::error(errc::internal, "RAND_bytes failed", "online door nonce");
  return status::ok();
}

std::string peer_address(int fd) {
  sockaddr_storage a{};
  socklen_t n = sizeof a;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &n) != 0)
    return "unknown peer";
  char host[INET6_ADDRSTRLEN] = {};
  uint16_t port = 0;
  if (a.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a);
    ::inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
    port = ntohs(v4->sin_port);
  } else if (a.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
    port = ntohs(v6->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

} // namespace lagom::wire
