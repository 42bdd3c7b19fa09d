// wire/socket_server and wire/socket_client in one process over loopback:
// requests answered in order on one kept connection, the handler's errors
// carried whole, the token proof, the per-frame timeout, the connection cap,
// and a stopped server turning into one clear error (after one reconnect).
#include "wire/socket_server.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <thread>
#include <vector>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/sinks/ostream_sink.h>

#include "wire/socket_client.hpp"
#include "wire/socket_packet.hpp"

using namespace lagom;
using namespace std::chrono_literals;

namespace {

struct logged_server {
  std::ostringstream log_text;
  std::shared_ptr<spdlog::logger> log;
  std::unique_ptr<wire::socket_server> server;

  explicit logged_server(size_t max_connections = 8) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text);
    log = std::make_shared<spdlog::logger>("test", sink);
    wire::socket_server_options o;
    o.token = "tok";
    o.log = log;
    o.max_connections = max_connections;
    o.frame_timeout = 300ms;
    // Echoes the frame; schema 13 is the handler's error.
    auto echo = [](const wire::frame& request, wire::frame* reply) {
      if (request.schema() == 13)
        return status::error(errc::not_found, "no such thing", "thing 13");
      *reply = request;
      return status::ok();
    };
    REQUIRE(wire::socket_server::start(o, echo, &server).to_string() == "ok");
  }
  std::string logged() {
    log->flush();
    return log_text.str();
  }
};

wire::frame frame_of(uint64_t schema, const std::string& eight) {
  wire::frame f;
  REQUIRE(wire::frame::from_bytes(schema, eight.data(), eight.size(), f));
  return f;
}

int raw_connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

// Reads packets until the server closes (bounded); the last error packet's status.
status last_error_then_eof(int fd) {
  status last;
  for (int i = 0; i < 4; ++i) {
    wire::packet p;
    auto st = wire::recv_packet(fd, std::chrono::steady_clock::now() + 5s, 5s, 1 << 20, -1, "s",
                                &p);
    if (!st)
      return st.message() == "connection closed" ? last : st;
    if (p.kind == wire::packet_kind::error)
      last = wire::error_of(p, "s");
  }
  return status::error(errc::internal, "never closed");
}

} // namespace

TEST_CASE("requests are answered in order on one kept connection, errors carried whole") {
  logged_server s;
  wire::socket_client c("127.0.0.1", s.server->port(), "tok");
  wire::frame reply;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(c.call(frame_of(7 + i, "abcdefgh"), &reply, 2s).to_string() == "ok");
    CHECK(reply.schema() == uint64_t(7 + i));
    CHECK(std::string(reinterpret_cast<const char*>(reply.bytes()), 8) == "abcdefgh");
  }
  auto st = c.call(frame_of(13, "12345678"), &reply, 2s);
  CHECK(st.code() == errc::not_found);
  CHECK(st.to_string() == "thing 13: no such thing");
  REQUIRE(c.call(frame_of(9, "zzzzzzzz"), &reply, 2s).to_string() == "ok");
  CHECK(s.logged().find("refused") == std::string::npos);
}

TEST_CASE("a wrong token is refused and logged with the peer, and others are served") {
  logged_server s;
  wire::socket_client wrong("127.0.0.1", s.server->port(), "tok2");
  wire::frame reply;
  auto st = wrong.call(frame_of(1, "abcdefgh"), &reply, 2s);
  CHECK(st.code() == errc::unauthorized);
  CHECK(st.to_string() == "online door: wrong cluster token");
  CHECK(s.logged().find("online door: refused 127.0.0.1:") != std::string::npos);
  wire::socket_client right("127.0.0.1", s.server->port(), "tok");
  CHECK(right.call(frame_of(1, "abcdefgh"), &reply, 2s).to_string() == "ok");
}

TEST_CASE("a packet not whole within the frame timeout closes that connection") {
  logged_server s;
  int fd = raw_connect(s.server->port());
  wire::packet hello;
  REQUIRE(wire::recv_packet(fd, std::chrono::steady_clock::now() + 5s, 5s, 64, -1, "s", &hello)
            .to_string() == "ok");
  const char half[5] = {'L', 'G', 'O', 'D', 2};  // a header begun, never ended
  REQUIRE(::send(fd, half, sizeof half, 0) == 5);
  auto t0 = std::chrono::steady_clock::now();
  auto st = last_error_then_eof(fd);
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);
  CHECK(st.code() == errc::unauthorized);
  CHECK(st.message().find("no answer while reading") != std::string::npos);
  ::close(fd);
}

TEST_CASE("past the connection cap a new connection is refused as unavailable") {
  logged_server s(1);
  wire::socket_client first("127.0.0.1", s.server->port(), "tok");
  wire::frame reply;
  REQUIRE(first.call(frame_of(1, "abcdefgh"), &reply, 2s).to_string() == "ok");
  wire::socket_client second("127.0.0.1", s.server->port(), "tok");
  auto st = second.call(frame_of(1, "abcdefgh"), &reply, 2s);
  CHECK(st.code() == errc::unavailable);
  CHECK(st.message().find("too many connections") != std::string::npos);
  CHECK(first.call(frame_of(2, "abcdefgh"), &reply, 2s).to_string() == "ok");
}

TEST_CASE("a stopped server gives one io_error naming the door, after one reconnect") {
  logged_server s;
  const uint16_t port = s.server->port();
  wire::socket_client c("127.0.0.1", port, "tok");
  wire::frame reply;
  REQUIRE(c.call(frame_of(1, "abcdefgh"), &reply, 2s).to_string() == "ok");
  s.server->stop();  // joins its threads although c's connection is open
  auto st = c.call(frame_of(1, "abcdefgh"), &reply, 2s);
  CHECK(st.code() == errc::io_error);
  CHECK(st.where() == "online door 127.0.0.1:" + std::to_string(port));
  CHECK(st.message().find("cannot connect") != std::string::npos);
}

TEST_CASE("calls from several threads take turns on one connection, each gets its own reply") {
  logged_server s;
  wire::socket_client c("127.0.0.1", s.server->port(), "tok");
  std::vector<std::string> errors(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50 && errors[t].empty(); ++i) {
        const uint64_t schema = 1000 * (t + 1) + i;
        const std::string body = "thread " + std::to_string(t);  // 8 bytes
        wire::frame request, reply;  // no Catch assertions off the main thread
        wire::frame::from_bytes(schema, body.data(), body.size(), request);
        auto st = c.call(request, &reply, 5s);
        if (!st)
          errors[t] = st.to_string();
        else if (reply.schema() != schema ||
                 std::string(reinterpret_cast<const char*>(reply.bytes()), 8) != body)
          errors[t] = "a reply of another call at call " + std::to_string(i);
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(errors == std::vector<std::string>(4));
}
