// The doors of a real head and node on loopback (DESIGN.md section 10): a
// client with no token or a wrong one is refused for status, launch and
// registry reads, through the CLI and through raw requests that skip its
// checks (a handle obtained with the right token stops working with a wrong
// one); a worker attach port refuses a stranger; and a message declared
// larger than the frame limit from a raw TCP socket is refused before it is
// allocated, while the head goes on serving. (A node with a wrong token:
// cluster_process_test, "a node with a wrong or missing token".)
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "child_process.hpp"
#include "lagom_steps.hpp"
#include "lagom/status.hpp"
#include "schemas/cluster.capnp.h"
#include "schemas/experiment.capnp.h"
#include "wire/atoms.hpp"
#include "wire/auth.hpp"
#include "wire/configure.hpp"
#include "wire/errors.hpp"
#include "wire/network.hpp"
#include "wire/read.hpp"

using namespace lagom;
using namespace lagom::test;
using namespace std::chrono_literals;

namespace {

const std::string lagom_bin = LAGOM_BINARY;
const std::string token = "door-token";

struct secured_cluster {
  temp_dir dir;
  std::unique_ptr<child_process> head, node;
  std::string address; // 127.0.0.1:PORT
  uint16_t port = 0;

  secured_cluster() {
    ::unsetenv("LAGOM_TOKEN"); // the children must not find one there
    head = child_process::start({lagom_bin, "--data", dir.path() + "/head", "head", "--listen",
                                 "127.0.0.1:0", "--token", token});
    REQUIRE(head->wait_for("\n", 10s));
    std::smatch m;
    std::string out = head->output();
    REQUIRE(std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:([0-9]+))")));
    address = m[1];
    port = static_cast<uint16_t>(std::stoi(m[2]));
    node = child_process::start({lagom_bin, "--data", dir.path() + "/node", "node", "--join",
                                 address, "--token", token, "--name", "n1", "--cpus", "2",
                                 "--memory-mb", "1024"});
    auto r = lagom({"status", "--connect", address, "--token", token, "--wait-nodes", "1"});
    INFO(r.output);
    REQUIRE(r.code == 0);
  }

  run_result lagom(std::vector<std::string> args) {
    args.insert(args.begin(), {lagom_bin, "--data", dir.path() + "/client"});
    return run(args, "", 30s);
  }
};

// A CAF client in this process: what a stranger who skips the CLI sends.
struct raw_client {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor head;

  explicit raw_client(uint16_t port) {
    wire::configure(cfg);
    wire::load_network(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    auto h = sys->middleman().remote_actor("127.0.0.1", port);
    REQUIRE(h);
    head = *h;
  }

  // A request whose answer is a frame (or an error).
  template <class... Ts>
  status ask(const caf::actor& to, Ts&&... xs) {
    caf::scoped_actor self{*sys};
    status out;
    self->request(to, 10s, std::forward<Ts>(xs)...)
      .receive([](wire::frame&) {}, [&](caf::error& e) { out = wire::to_status(e); });
    return out;
  }
};

wire::frame status_request() {
  return wire::build<schema::StatusRequest>([](auto) {});
}

} // namespace

TEST_CASE("clients without the cluster token are refused for status, launch and registry reads",
          "[security]") {
  secured_cluster c;
  auto script = c.dir.write("hello.lagom", "launch hello_gpu on 1\n");

  auto none = c.lagom({"status", "--connect", c.address});
  INFO(none.output);
  CHECK(none.code == 1);
  CHECK(none.output.find("no cluster token: pass --token or set LAGOM_TOKEN") != std::string::npos);

  auto wrong = c.lagom({"status", "--connect", c.address, "--token", "guess"});
  INFO(wrong.output);
  CHECK(wrong.code == 1);
  CHECK(wrong.output.find("wrong cluster token") != std::string::npos);
  CHECK(c.head->wait_for("refused a request to head: status", 5s));

  auto launch = c.lagom({"run", script, "--connect", c.address, "--token", "guess"});
  INFO(launch.output);
  CHECK(launch.code == 1);
  CHECK(launch.output.find("wrong cluster token") != std::string::npos);
  CHECK(launch.output.find("Hello from") == std::string::npos);

  auto list = c.lagom({"experiments", "--connect", c.address, "--token", "guess"});
  INFO(list.output);
  CHECK(list.code == 1);
  CHECK(list.output.find("wrong cluster token") != std::string::npos);

  // The right token works for all three.
  auto ok = c.lagom({"run", script, "--connect", c.address, "--token", token});
  INFO(ok.output);
  CHECK(ok.code == 0);
  CHECK(ok.output.find("Hello from cpu on n1") != std::string::npos);
  auto s = c.lagom({"status", "--connect", c.address, "--token", token});
  CHECK(s.code == 0);
  CHECK(s.output.find("n1") != std::string::npos);
  CHECK(c.lagom({"experiments", "--connect", c.address, "--token", token}).code == 0);
}

TEST_CASE("every door checks each request's token, not only the first", "[security]") {
  secured_cluster c;
  raw_client client{c.port};

  // Nothing proven yet: the requests without a frame of their own are refused.
  wire::set_cluster_token(token);
  status early;
  {
    caf::scoped_actor self{*client.sys};
    self->request(client.head, 10s, atoms::services::value)
      .receive([](caf::actor, caf::actor, caf::actor) {},
               [&](caf::error& e) { early = wire::to_status(e); });
  }
  CHECK(early.code() == errc::unauthorized);

  // A proven frame admits this process; then it gets the service handles.
  auto first = client.ask(client.head, atoms::status::value, status_request());
  INFO(first.to_string());
  REQUIRE(first);
  caf::actor registry;
  {
    caf::scoped_actor self{*client.sys};
    self->request(client.head, 10s, atoms::services::value)
      .receive([&](caf::actor r, caf::actor, caf::actor) { registry = r; },
               [&](caf::error& e) { FAIL(wire::to_status(e).to_string()); });
  }
  REQUIRE(registry);
  auto listing = [] {
    return wire::build<schema::ExperimentList>([](auto) {});
  };
  CHECK(client.ask(registry, atoms::list::value, listing()));

  // The same handles with a wrong token, then none: refused, each naming why.
  for (std::string bad : {"guess", ""}) {
    wire::set_cluster_token(bad);
    const char* why = bad.empty() ? "missing cluster token" : "wrong cluster token";
    auto read = client.ask(registry, atoms::list::value, listing());
    CHECK(read.code() == errc::unauthorized);
    CHECK(read.message().find(why) != std::string::npos);
    CHECK(read.where() == "registry: list");
    auto st = client.ask(client.head, atoms::status::value, status_request());
    CHECK(st.code() == errc::unauthorized);
    auto req = wire::build<schema::ContainerRequest>([](schema::ContainerRequest::Builder b) {
      b.setOwner("stranger");
      b.setCount(1);
      b.initEach().setCpus(1);
    });
    CHECK(client.ask(client.head, atoms::request::value, req).code() == errc::unauthorized);
    auto launch = wire::build<schema::FunctionLaunch>([](schema::FunctionLaunch::Builder b) {
      b.setFunction("hello_gpu");
      b.initContainer().setId(1);
    });
    CHECK(client.ask(client.head, atoms::launch::value, launch, caf::actor{}).code() ==
          errc::unauthorized);
  }
  CHECK(c.head->wait_for("refused a request to registry: list", 5s));
  CHECK(c.head->wait_for("refused a request to head: launch", 5s));

  // Nothing was granted to the stranger.
  wire::set_cluster_token(token);
  auto s = c.lagom({"status", "--connect", c.address, "--token", token});
  INFO(s.output);
  CHECK(std::regex_search(s.output, std::regex("n1 +127\\.0\\.0\\.1 +2 +0 ")));
  wire::set_cluster_token("");
}

TEST_CASE("a worker attach port refuses a process without the node's token", "[security]") {
  secured_cluster c;
  REQUIRE(c.node->wait_for("workers attach on 127.0.0.1:", 10s));
  std::smatch m;
  std::string out = c.node->output();
  REQUIRE(std::regex_search(out, m, std::regex("workers attach on (127\\.0\\.0\\.1:[0-9]+)")));
  auto r = run({"/usr/bin/env", "LAGOM_TOKEN=guess", lagom_bin, "--data", c.dir.path() + "/w",
                "worker", "--node", m[1], "--container", "1"},
               "", 30s);
  INFO(r.output);
  CHECK(r.code == 1);
  CHECK(r.output.find("wrong cluster token") != std::string::npos);
  CHECK(c.node->wait_for("refused a request to node n1: attach", 5s));
}

TEST_CASE("a message declared larger than the frame limit is refused before it is allocated",
          "[security]") {
  secured_cluster c;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(c.port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  // A BASP client handshake header (32 bytes: operation 1 = client
  // handshake, padding, flags, payload length, operation data, source and
  // destination actor) declaring a payload of 0xF0F0F0F0 bytes (~3.8 GiB,
  // the same in either byte order). Without the bound CAF would resize its
  // read buffer to that at once.
  unsigned char hdr[32] = {};
  hdr[0] = 1;
  for (int i = 4; i < 8; ++i)
    hdr[i] = 0xF0;
  REQUIRE(::send(fd, hdr, sizeof(hdr), 0) == static_cast<ssize_t>(sizeof(hdr)));
  // The head closes the connection: recv ends (its own handshake may come first).
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) {
  }
  CHECK(n == 0);
  ::close(fd);
  CHECK(c.head->wait_for("declared a message of 4042322160 bytes", 5s));
  // Its resident memory stayed far below what was declared.
  std::ifstream st("/proc/" + std::to_string(c.head->pid()) + "/status");
  std::string line;
  long rss_kb = -1;
  while (std::getline(st, line))
    if (line.rfind("VmRSS:", 0) == 0)
      rss_kb = std::stol(line.substr(6));
  INFO("head VmRSS " << rss_kb << " kB");
  CHECK(rss_kb > 0);
  CHECK(rss_kb < 512 * 1024);
  // And it goes on serving.
  auto s = c.lagom({"status", "--connect", c.address, "--token", token});
  INFO(s.output);
  CHECK(s.code == 0);
  CHECK(s.output.find("n1") != std::string::npos);
}

TEST_CASE("with --tls a node or client without a certificate of the cluster CA is refused",
          "[security][tls]") {
  ::unsetenv("LAGOM_TOKEN");
  temp_dir dir;
  const std::string ca = dir.path() + "/ca", other = dir.path() + "/other";
  run_steps(lagom_bin, {{"cert", "init", ca},
                        {"cert", "issue", ca, "head"},
                        {"cert", "issue", ca, "n1"},
                        {"cert", "issue", ca, "client"},
                        {"cert", "init", other},
                        {"cert", "issue", other, "stranger"}});
  auto head = child_process::start({lagom_bin, "--data", dir.path() + "/head", "head", "--listen",
                                    "127.0.0.1:0", "--token", token, "--tls", ca + "/head"});
  REQUIRE(head->wait_for("\n", 10s));
  std::smatch m;
  std::string out = head->output();
  REQUIRE(std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+) \\(TLS")));
  const std::string address = m[1];
  auto node = child_process::start({lagom_bin, "--data", dir.path() + "/node", "node", "--join",
                                    address, "--token", token, "--tls", ca + "/n1", "--name",
                                    "n1", "--cpus", "2"});
  auto client = [&](std::vector<std::string> args, const std::string& tls) {
    args.insert(args.begin(), {lagom_bin, "--data", dir.path() + "/client"});
    args.insert(args.end(), {"--connect", address, "--token", token});
    if (!tls.empty())
      args.insert(args.end(), {"--tls", tls});
    return run(args, "", 30s);
  };
  auto s = client({"status", "--wait-nodes", "1"}, ca + "/client");
  INFO(s.output);
  REQUIRE(s.code == 0);
  auto script = dir.write("hello.lagom", "launch hello_gpu on 2\n");
  auto r = client({"run", script}, ca + "/client");
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(r.output.find("Hello from cpu on n1") != std::string::npos);

  // No certificate (plain CAF), or one of another CA: the handshake fails,
  // even with the right token.
  auto plain = run({lagom_bin, "--data", dir.path() + "/x", "node", "--join", address, "--token",
                    token, "--name", "plain"},
                   "", 30s);
  INFO(plain.output);
  CHECK(plain.code == 1);
  CHECK(plain.output.find("cannot reach the head") != std::string::npos);
  auto stranger = client({"status"}, other + "/stranger");
  INFO(stranger.output);
  CHECK(stranger.code == 1);
  CHECK(stranger.output.find("cannot reach a lagom head") != std::string::npos);
  auto bad_dir = client({"status"}, dir.path() + "/nowhere");
  CHECK(bad_dir.code == 1);
  CHECK(bad_dir.output.find("--tls") != std::string::npos);

  // Clients coming and going never cost the node its connection.
  auto after = client({"status"}, ca + "/client");
  INFO(after.output + head->output());
  CHECK(after.output.find("1 node(s), 0 queued request(s), 0 lost node(s)") != std::string::npos);
  CHECK(head->output().find("removed") == std::string::npos);
}
