// wire/tcp_probe over loopback: a listener is reached at the first attempt;
// a refused port is named at once; a silent peer (a full accept queue drops
// SYNs, as a partition would) is named as a timeout after the window; a
// peer that stops being silent mid-window is found then by a fresh attempt;
// no socket outlives a probe.
#include "wire/tcp_probe.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <future>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace lagom;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

// A TCP socket bound to 127.0.0.1 on a port the kernel picks; listening
// only when asked (until then a connect to it is refused).
struct bound_port {
  int fd = -1;
  uint16_t port = 0;
  bound_port() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    socklen_t len = sizeof(a);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
  }
  ~bound_port() { ::close(fd); }
  void listen(int backlog) { REQUIRE(::listen(fd, backlog) == 0); }
};

// A listener that answers no SYN: backlog 0 holds one finished connection
// (the filler's); with it queued, the kernel drops further SYNs without an
// answer, as a cut link does. accept_filler() frees the queue.
struct silent_port : bound_port {
  int filler = -1;
  silent_port() {
    listen(0);
    filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    REQUIRE(::connect(filler, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  }
  ~silent_port() { ::close(filler); }
  int accept_filler() { return ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC); }
};

size_t open_fds() {
  size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

} // namespace

TEST_CASE("a listening port is reached at the first attempt", "[wire][probe]") {
  bound_port p;
  p.listen(16);
  auto before = open_fds();
  auto r = wire::probe_tcp("127.0.0.1", p.port, 2000ms);
  CHECK(r.connected);
  CHECK(r.attempts == 1);
  CHECK(r.why.empty());
  CHECK(open_fds() == before);
}

TEST_CASE("a refused port is named at once", "[wire][probe]") {
  bound_port p; // bound, not listening: a connect is refused
  auto before = open_fds();
  auto t0 = steady::now();
  auto r = wire::probe_tcp("127.0.0.1", p.port, 10s, 50ms);
  CHECK_FALSE(r.connected);
  CHECK(r.why == "Connection refused");
  CHECK(r.attempts == 1);
  CHECK(steady::now() - t0 < 5s); // not the window
  CHECK(open_fds() == before);
}

TEST_CASE("a silent peer is named as a timeout and its attempts are closed", "[wire][probe]") {
  silent_port p;
  auto before = open_fds();
  auto t0 = steady::now();
  auto r = wire::probe_tcp("127.0.0.1", p.port, 400ms, 100ms);
  auto took = steady::now() - t0;
  CHECK(open_fds() == before);
  CHECK_FALSE(r.connected);
  CHECK(r.why == "no connection within 400 ms");
  CHECK(r.attempts >= 4);
  CHECK(took >= 400ms);
  CHECK(took < 2s);
}

TEST_CASE("a peer that stops being silent mid-window is found by a fresh attempt",
          "[wire][probe]") {
  // Silent until the test accepts the queued connection: the next fresh
  // attempt's SYN is then answered at once, where the first attempt's would
  // only be sent again after the kernel's 1 s.
  silent_port p;
  std::atomic<uint32_t> started{0};
  auto t0 = steady::now();
  auto probe = std::async(std::launch::async, [&] {
    return wire::probe_tcp("127.0.0.1", p.port, 20s, 50ms, &started);
  });
  // Free the queue once two attempts wait (a bounded wait on the counter).
  while (started.load() < 2 && steady::now() - t0 < 10s)
    std::this_thread::yield();
  REQUIRE(started.load() >= 2);
  int taken = p.accept_filler();
  REQUIRE(taken >= 0);
  auto r = probe.get();
  auto took = steady::now() - t0;
  ::close(taken);
  CHECK(r.connected);
  CHECK(r.attempts >= 2);
  CHECK(took < 10s);
  WARN("found after " << r.attempts << " attempts, "
                      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms");
}

TEST_CASE("a name that does not resolve is named at once", "[wire][probe]") {
  auto r = wire::probe_tcp("", 80, 5000ms);
  CHECK_FALSE(r.connected);
  CHECK(r.attempts == 0);
  CHECK(r.why.rfind("cannot resolve", 0) == 0);
}

TEST_CASE("the address towards a loopback peer is loopback", "[wire][probe]") {
  CHECK(wire::address_towards("127.0.0.1", 9) == "127.0.0.1");
}
