#include "wire/peer_sockets.hpp"

#include <cstring>
#include <filesystem>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace lagom::wire {

namespace {

// The IPv4 peer of `fd` when it is an IPv4 (or v4-mapped IPv6) socket.
bool ipv4_peer(int fd, in_addr& ip, uint16_t& port) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    return false; // not a socket, or not connected
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    ip = a->sin_addr;
    port = ntohs(a->sin_port);
    return true;
  }
  if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    if (!IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
      return false;
    std::memcpy(&ip, a->sin6_addr.s6_addr + 12, sizeof(ip));
    port = ntohs(a->sin6_port);
    return true;
  }
  return false;
}

bool is_stream(int fd) {
  int type = 0;
  socklen_t len = sizeof(type);
  return ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

} // namespace

size_t shut_down_sockets_to(const std::string& addr, uint16_t port) {
  in_addr want{};
  if (port == 0 || ::inet_pton(AF_INET, addr.c_str(), &want) != 1)
    return 0;
  size_t n = 0;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = 0;
    try {
      fd = std::stoi(e.path().filename().string());
    } catch (...) {
      continue;
    }
    in_addr ip{};
    uint16_t p = 0;
    if (ipv4_peer(fd, ip, p) && p == port && ip.s_addr == want.s_addr && is_stream(fd) &&
        ::shutdown(fd, SHUT_RDWR) == 0)
      ++n;
  }
  return n;
}

} // namespace lagom::wire
