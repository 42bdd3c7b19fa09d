// wire/peer_sockets over loopback: the accepted end of one connection is
// shut down by its peer's address and port, its client reads the end of the
// stream, and another connection to the same listener is untouched.
#include "wire/peer_sockets.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace lagom;

namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  return ntohs(a.sin_port);
}

// One connection: the client's end and the listener's accepted end.
struct connection {
  int client = -1, accepted = -1;
  connection(int listener, uint16_t port) {
    client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto a = loopback(port);
    REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    accepted = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    REQUIRE(accepted >= 0);
  }
  ~connection() {
    ::close(client);
    ::close(accepted);
  }
  // What the client reads within 2 s: 0 at the end of the stream, -1 when
  // nothing came, else the byte count.
  ssize_t client_reads() {
    pollfd p{client, POLLIN, 0};
    if (::poll(&p, 1, 2000) != 1)
      return -1;
    char c = 0;
    return ::recv(client, &c, 1, 0);
  }
};

} // namespace

TEST_CASE("the sockets to one peer address and port are shut down, no others",
          "[wire][fence]") {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto a = loopback(0);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  REQUIRE(::listen(listener, 8) == 0);
  const uint16_t port = local_port(listener);
  connection stale(listener, port), live(listener, port);

  // The accepted end of `stale` has the stale client's port as its peer.
  CHECK(wire::shut_down_sockets_to("127.0.0.1", local_port(stale.client)) == 1);
  CHECK(stale.client_reads() == 0); // the end of the stream
  // The other connection still carries data both ways.
  REQUIRE(::send(live.accepted, "x", 1, MSG_NOSIGNAL) == 1);
  CHECK(live.client_reads() == 1);
  // Nothing matches: another port, a malformed address, port 0.
  CHECK(wire::shut_down_sockets_to("127.0.0.1", 1) == 0);
  CHECK(wire::shut_down_sockets_to("not an address", local_port(live.client)) == 0);
  CHECK(wire::shut_down_sockets_to("127.0.0.1", 0) == 0);
  REQUIRE(::send(live.accepted, "y", 1, MSG_NOSIGNAL) == 1);
  CHECK(live.client_reads() == 1);
  ::close(listener);
}
