// The head's online feature door (actors/online_door.hpp) across processes:
// a `lagom head` process; this test process is a remote client whose
// get_feature_vector(s) go through the door. Lookups equal those of the
// actor path (the same data under a head started with --online-listen off);
// errors read the same; a wrong or missing token, garbage bytes and an
// absurd declared length are refused (logged by the head, which serves on);
// a killed or stopped head makes a lookup fail within its timeout.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <regex>
#include <sys/socket.h>
#include <unistd.h>

#include "child_process.hpp"
#include "lagom_steps.hpp"
#include "lagom/cluster.hpp"
#include "wire/socket_client.hpp"
#include "wire/socket_packet.hpp"

using namespace lagom;
using namespace lagom::test;
using namespace std::chrono_literals;

namespace {

const std::string lagom_bin = LAGOM_BINARY;
const std::string token = "door-token";

struct head_process {
  std::unique_ptr<child_process> proc;
  std::string address;
  uint16_t door = 0;
  explicit head_process(const std::string& data, const std::string& online = "") {
    std::vector<std::string> argv = {lagom_bin, "--data", data, "head", "--listen",
                                     "127.0.0.1:0", "--token", token};
    if (!online.empty())
      argv.insert(argv.end(), {"--online-listen", online});
    proc = child_process::start(argv);
    REQUIRE(proc->wait_for("online feature door", 10s));
    std::smatch m;
    std::string out = proc->output();
    REQUIRE(std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+)")));
    address = m[1];
    if (std::regex_search(out, m, std::regex("online feature door on 127\\.0\\.0\\.1:([0-9]+)")))
      door = static_cast<uint16_t>(std::stoi(m[1]));
  }
  // A client of this head (the cluster token proven).
  std::unique_ptr<cluster> connect() const {
    std::unique_ptr<cluster> c;
    REQUIRE(cluster::connect(address, token, c, 10s));
    return c;
  }
  ~head_process() {
    proc->signal(SIGCONT);
    proc->signal(SIGTERM);
    if (!proc->wait_exit(10s))
      proc->signal(SIGKILL);
  }
};

storage::feature_frame pairs_rows() {
  storage::feature_frame f;
  storage::feature_column a, b, x, s;
  a.spec = {"a", storage::feature_type::int64, 1};
  b.spec = {"b", storage::feature_type::string, 1};
  x.spec = {"x", storage::feature_type::float64, 1};
  s.spec = {"s", storage::feature_type::string, 1};
  for (int64_t i = 0; i < 40; ++i) {
    a.i64.push_back(i % 10);
    b.str.push_back("k" + std::to_string(i / 10));
    x.f64.push_back(double(i) * 0.5);
    s.str.push_back("row " + std::to_string(i));
  }
  f.columns = {a, b, x, s};
  return f;
}

const std::vector<storage::key_value> probe_keys = {
  {int64_t{3}, std::string("k0")}, {int64_t{9}, std::string("k3")},
  {int64_t{3}, std::string("k9")}, {int64_t{0}, std::string("k2")}};

std::string cell(const storage::feature_column& c, size_t r) {
  if (!c.valid.empty() && !c.valid[r])
    return "null";
  if (!c.str.empty())
    return c.str[r];
  if (!c.i64.empty())
    return std::to_string(c.i64[r]);
  if (!c.f64.empty())
    return std::to_string(c.f64[r]);
  return c.f32.empty() ? "?" : std::to_string(c.f32[r]);
}

std::string text(const storage::feature_frame& rows, const std::vector<bool>& found) {
  std::string out;
  for (size_t r = 0; r < rows.rows(); ++r) {
    out += found[r] ? "found" : "missing";
    for (const auto& c : rows.columns)
      out += " " + c.spec.name + "=" + cell(c, r);
    out += "\n";
  }
  return out;
}

// get_feature_vectors of probe_keys in "pairs", and "nums" key 5, as text.
std::string lookups(feature_store& fs) {
  storage::feature_frame rows;
  std::vector<bool> found;
  REQUIRE(fs.get_feature_vectors("pairs", probe_keys, &rows, &found).to_string() == "ok");
  std::string out = text(rows, found);
  bool one = false;
  REQUIRE(fs.get_feature_vector("nums", {int64_t{5}}, &rows, &one).to_string() == "ok");
  return out + text(rows, {one});
}

// The groups lookups() reads: "pairs" (a two-column key) and "nums".
void create_groups(feature_store& fs) {
  featuregroup_options two;
  two.primary_key = {"a", "b"};
  REQUIRE(fs.create_featuregroup("pairs", pairs_rows(), two).to_string() == "ok");
  featuregroup_options o;
  o.seed = 3;
  REQUIRE(fs.create_featuregroup_from("nums", "random:20x3", o).to_string() == "ok");
}

// A raw TCP connection to the door (for bytes no client would send).
struct raw_socket {
  int fd = -1;
  explicit raw_socket(uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~raw_socket() { ::close(fd); }
  wire::packet next() {
    wire::packet p;
    auto st = wire::recv_packet(fd, std::chrono::steady_clock::now() + 5s, 5s, 1 << 20, -1,
                                "door", &p);
    REQUIRE(st.to_string() == "ok");
    return p;
  }
  // After the refusal: the door closes the connection (EOF within 5 s).
  bool closed_by_peer() {
    pollfd p{fd, POLLIN, 0};
    char b[64];
    for (int i = 0; i < 100 && ::poll(&p, 1, 5000) == 1; ++i)
      if (::recv(fd, b, sizeof b, 0) <= 0)
        return true;
    return false;
  }
};

// Whether every thread of `pid` is stopped (state T in /proc): SIGSTOP takes
// effect asynchronously, a thread on another CPU may still answer first.
bool all_stopped(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  size_t threads = 0;
  for (const auto& t : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(t.path() / "stat");
    std::string line;
    std::getline(in, line);
    auto close = line.rfind(')');
    if (close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'T')
      return false;
    ++threads;
  }
  return threads > 0;
}

} // namespace

TEST_CASE("lookups through the online door equal the actor path's, errors too", "[online]") {
  temp_dir d;
  std::string via_door, via_actors;
  status door_error, actor_error;
  {
    head_process head(d.path() + "/head");
    REQUIRE(head.door != 0);
    auto c = head.connect();
    auto fs = c->feature_store();
    create_groups(fs);
    via_door = lookups(fs);
    storage::feature_frame row;
    bool found = false;
    door_error = fs.get_feature_vector("no_such_group", {int64_t{1}}, &row, &found);
    auto bad_key = fs.get_feature_vector("pairs", {int64_t{1}}, &row, &found);
    CHECK(bad_key.code() == errc::invalid_argument);
    CHECK(bad_key.to_string().find("does not match the primary key") != std::string::npos);
  }
  {
    head_process head(d.path() + "/head", "off");
    CHECK(head.door == 0);
    CHECK(head.proc->output().find("online feature door off") != std::string::npos);
    auto c = head.connect();
    auto fs = c->feature_store();
    via_actors = lookups(fs);
    storage::feature_frame row;
    bool found = false;
    actor_error = fs.get_feature_vector("no_such_group", {int64_t{1}}, &row, &found);
  }
  CHECK(via_door.find("found a=3 b=k0 x=1.500000 s=row 3\n") != std::string::npos);
  CHECK(via_door.find("missing a=null b=null x=null s=null\n") != std::string::npos);
  CHECK(via_door.find("found index=5") != std::string::npos);
  CHECK(via_door == via_actors);
  CHECK(door_error.code() == errc::not_found);
  CHECK(door_error.to_string().find("no_such_group") != std::string::npos);
  CHECK(door_error.to_string() == actor_error.to_string());
}

TEST_CASE("the online door refuses a wrong token and bad bytes and serves on", "[online]") {
  temp_dir d;
  head_process head(d.path() + "/head");
  REQUIRE(head.door != 0);
  auto c = head.connect();
  auto fs = c->feature_store();
  create_groups(fs);
  const std::string before = lookups(fs);  // fs's kept connection is open now

  // A wrong token and none: unauthorized, said plainly; the head logs both.
  wire::frame any = wire::frame{};
  wire::frame reply;
  wire::socket_client wrong("127.0.0.1", head.door, "not-the-token");
  auto st = wrong.call(any, &reply, 3s);
  CHECK(st.code() == errc::unauthorized);
  CHECK(st.message() == "wrong cluster token");
  wire::socket_client none("127.0.0.1", head.door, "");
  st = none.call(any, &reply, 3s);
  CHECK(st.code() == errc::unauthorized);
  CHECK(st.message() == "missing cluster token");
  CHECK(head.proc->wait_for("wrong cluster token", 5s));
  CHECK(head.proc->wait_for("missing cluster token", 5s));
  CHECK(std::regex_search(head.proc->output(),
                          std::regex("online door: refused 127\\.0\\.0\\.1:[0-9]+: .*wrong")));

  {  // Garbage instead of the proof: refused, closed.
    raw_socket s(head.door);
    CHECK(s.next().kind == wire::packet_kind::hello);
    const std::string junk(48, 'Z');
    REQUIRE(::send(s.fd, junk.data(), junk.size(), 0) == ssize_t(junk.size()));
    auto p = s.next();
    CHECK(p.kind == wire::packet_kind::error);
    CHECK(wire::error_of(p, "door").to_string().find("bad magic") != std::string::npos);
    CHECK(s.closed_by_peer());
  }
  {  // Proven, then a request declaring 1 TiB: refused unread, closed.
    raw_socket s(head.door);
    auto hello = s.next();
    auto nonce = hello.words.asBytes();
    auto proof = wire::door_proof(token, nonce.begin(), nonce.size());
    REQUIRE(wire::send_packet(s.fd, wire::packet_kind::proof, 0, proof.data(), proof.size(),
                              std::chrono::steady_clock::now() + 5s, "door")
              .to_string() == "ok");
    CHECK(s.next().kind == wire::packet_kind::welcome);
    unsigned char h[24] = {'L', 'G', 'O', 'D', 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                           0, 0, 0, 0, 0, 1, 0, 0};  // length 2^40
    REQUIRE(::send(s.fd, h, sizeof h, 0) == ssize_t(sizeof h));
    auto p = s.next();
    CHECK(p.kind == wire::packet_kind::error);
    CHECK(wire::error_of(p, "door").to_string().find("exceeds the cap") != std::string::npos);
    CHECK(s.closed_by_peer());
  }
  CHECK(head.proc->wait_for("exceeds the cap", 5s));
  // The head serves on: the kept connection and a new client alike.
  CHECK(lookups(fs) == before);
  auto c2 = head.connect();
  auto fs2 = c2->feature_store();
  CHECK(lookups(fs2) == before);
}

TEST_CASE("a stopped or killed head fails an online lookup within its timeout", "[online]") {
  temp_dir d;
  head_process head(d.path() + "/head");
  auto c = head.connect();
  auto fs = c->feature_store();
  featuregroup_options o;
  o.seed = 3;
  REQUIRE(fs.create_featuregroup_from("nums", "random:20x3", o).to_string() == "ok");
  storage::feature_frame row;
  bool found = false;
  REQUIRE(fs.get_feature_vector("nums", {int64_t{5}}, &row, &found).to_string() == "ok");
  fs.timeout = 1500ms;
  const std::string door = "online door 127.0.0.1:" + std::to_string(head.door);

  head.proc->signal(SIGSTOP);
  REQUIRE(wait_until([&] { return all_stopped(head.proc->pid()); }, 5s));
  auto t0 = std::chrono::steady_clock::now();
  auto st = fs.get_feature_vector("nums", {int64_t{5}}, &row, &found);
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(st.code() == errc::timeout);
  CHECK(st.where() == door);
  CHECK(took >= 1400ms);
  CHECK(took < 3s);

  head.proc->signal(SIGCONT);
  REQUIRE(fs.get_feature_vector("nums", {int64_t{5}}, &row, &found).to_string() == "ok");
  head.proc->signal(SIGKILL);
  REQUIRE(head.proc->wait_exit(5s));
  t0 = std::chrono::steady_clock::now();
  st = fs.get_feature_vector("nums", {int64_t{5}}, &row, &found);
  took = std::chrono::steady_clock::now() - t0;
  CHECK(st.code() == errc::io_error);
  CHECK(st.where() == door);
  CHECK(took < 3s);
}

TEST_CASE("with --tls the head opens no online door and lookups take the TLS actor path",
          "[online][tls]") {
  temp_dir d;
  const std::string ca = d.path() + "/ca";
  run_steps(lagom_bin,
            {{"cert", "init", ca}, {"cert", "issue", ca, "head"}, {"cert", "issue", ca, "client"}});
  auto proc = child_process::start({lagom_bin, "--data", d.path() + "/head", "head", "--listen",
                                    "127.0.0.1:0", "--token", token, "--tls", ca + "/head"});
  REQUIRE(proc->wait_for("online feature door off (--tls)", 10s));
  std::smatch m;
  std::string out = proc->output();
  REQUIRE(std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+) \\(TLS")));
  {
    std::unique_ptr<cluster> c;
    REQUIRE(cluster::connect(m[1], token, ca + "/client", c, 10s).to_string() == "ok");
    auto fs = c->feature_store();
    create_groups(fs);
    CHECK(lookups(fs).find("found a=3 b=k0 x=1.500000 s=row 3\n") != std::string::npos);
  }
  proc->signal(SIGTERM);
  CHECK(proc->wait_exit(10s));
}

TEST_CASE("a bad --online-listen is refused naming the flag", "[online]") {
  temp_dir d;
  auto head = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {lagom_bin, "--data", d.path() + "/head", "head", "--listen",
                                     "127.0.0.1:0", "--token", token};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv, "", 30s);
  };
  auto r = head({"--online-listen", "127.0.0.1:notaport"});
  CHECK(r.code == 2);
  CHECK(r.output.find("lagom head: --online-listen 127.0.0.1:notaport") != std::string::npos);
  r = head({"--online-listen", "127.0.0.1:0", "--tls", d.path() + "/nowhere"});
  CHECK(r.code == 2);
  CHECK(r.output.find("the online door speaks no TLS") != std::string::npos);
  // A port already taken: exit 1 naming the flag and the address.
  int taken = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(taken, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(taken, 1) == 0);
  socklen_t n = sizeof a;
  ::getsockname(taken, reinterpret_cast<sockaddr*>(&a), &n);
  const std::string busy = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  r = head({"--online-listen", busy});
  ::close(taken);
  CHECK(r.code == 1);
  CHECK(r.output.find("lagom head: --online-listen: " + busy + ": cannot listen") !=
        std::string::npos);
}
