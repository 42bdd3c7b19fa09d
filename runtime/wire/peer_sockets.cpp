#include "wire/peer_sockets.hpp"

#include <filesystem>

#include <sys/socket.h>

#include "wire/socket_packet.hpp"

namespace lagom::wire {

size_t shut_down_sockets_to(const std::string& addr, uint16_t port) {
  if (addr.empty() || port == 0)
    return 0;
  // peer_address writes the peer as CAF's middleman does (inet_ntop).
  const std::string peer = addr + ":" + std::to_string(port);
  size_t n = 0;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = 0;
    try {
      fd = std::stoi(e.path().filename().string());
    } catch (...) {
      continue;
    }
    int type = 0;
    socklen_t len = sizeof(type);
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
      continue; // not a socket, or not TCP
    if (peer_address(fd) == peer && ::shutdown(fd, SHUT_RDWR) == 0)
      ++n;
  }
  return n;
}

} // namespace lagom::wire
