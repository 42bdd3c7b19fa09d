#include "wire/tcp_probe.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <vector>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lagom::wire {

namespace {

using steady = std::chrono::steady_clock;
constexpr size_t max_open = 8;

struct addr_list {
  addrinfo* res = nullptr;
  ~addr_list() {
    if (res)
      ::freeaddrinfo(res);
  }
};

int resolve(const std::string& host, uint16_t port, int socktype, addr_list& out) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = socktype;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &out.res);
  return rc != 0 ? rc : (out.res ? 0 : EAI_NONAME);
}

} // namespace

tcp_probe_result probe_tcp(const std::string& host, uint16_t port,
                           std::chrono::milliseconds within, std::chrono::milliseconds every,
                           std::atomic<uint32_t>* started) {
  tcp_probe_result r;
  addr_list to;
  if (int rc = resolve(host, port, SOCK_STREAM, to); rc != 0) {
    r.why = std::string("cannot resolve ") + host + ": " + ::gai_strerror(rc);
    return r;
  }
  every = std::max(every, std::chrono::milliseconds(10));
  const auto end = steady::now() + within;
  auto next_start = steady::now();
  std::deque<int> open; // oldest first
  std::string last_error;
  bool answered = false; // an attempt was refused or found no route
  auto close_front = [&] {
    ::close(open.front());
    open.pop_front();
  };
  while (!r.connected) {
    auto now = steady::now();
    if (now >= end)
      break;
    if (now >= next_start) {
      next_start = now + every;
      ++r.attempts;
      if (started)
        started->fetch_add(1);
      if (open.size() == max_open)
        close_front();
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        last_error = std::strerror(errno);
        break;
      } else if (::connect(fd, to.res->ai_addr, to.res->ai_addrlen) == 0) {
        ::close(fd);
        r.connected = true;
        break;
      } else if (errno != EINPROGRESS) {
        last_error = std::strerror(errno);
        ::close(fd);
        break; // an answer (refused, no route): the caller's backoff paces retries
      } else {
        open.push_back(fd);
      }
    }
    // Wait for any open attempt until the next start or the end.
    auto until = std::min(next_start, end);
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now());
    std::vector<pollfd> fds;
    for (int fd : open)
      fds.push_back(pollfd{fd, POLLOUT, 0});
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(wait.count(), 0)));
    if (n < 0 && errno != EINTR) {
      last_error = std::strerror(errno);
      break;
    }
    for (size_t i = 0; n > 0 && i < fds.size(); ++i) {
      if (fds[i].revents == 0)
        continue;
      int err = 0;
      socklen_t len = sizeof(err);
      if (::getsockopt(fds[i].fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
      if (err == 0) {
        r.connected = true;
        break;
      }
      last_error = std::strerror(err);
      answered = true;
      break;
    }
    if (answered)
      break;
  }
  while (!open.empty())
    close_front();
  if (!r.connected)
    r.why = !last_error.empty() ? last_error
                                : "no connection within " + std::to_string(within.count()) + " ms";
  return r;
}

std::string address_towards(const std::string& host, uint16_t port) {
  std::string out = "127.0.0.1";
  addr_list to;
  if (resolve(host, port, SOCK_DGRAM, to) != 0)
    return out;
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && ::connect(fd, to.res->ai_addr, to.res->ai_addrlen) == 0) {
    sockaddr_in me{};
    socklen_t len = sizeof(me);
    char text[INET_ADDRSTRLEN] = {};
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&me), &len) == 0 &&
        ::inet_ntop(AF_INET, &me.sin_addr, text, sizeof(text)) != nullptr)
      out = text;
  }
  if (fd >= 0)
    ::close(fd);
  return out;
}

} // namespace lagom::wire
