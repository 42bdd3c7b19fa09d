// A head and node processes of the real `lagom` binary on loopback: joining
// with and without the token, a gang across two nodes, a node killed with -9
// or frozen (no heartbeat) leaving the ledger while its launch reports the
// loss. Ports are picked by the OS; waits are bounded and driven by output.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "child_process.hpp"

using namespace lagom::test;
using namespace std::chrono_literals;

namespace {

const std::string lagom_bin = LAGOM_BINARY;
const std::string token = "integration-token";

// This test process's data directory (every lagom here gets --data): the
// head's registry, checkpoints and logs never touch ~/.lagom.
const std::string& data_dir() {
  static temp_dir d;
  return d.path();
}

struct cluster_fixture {
  std::unique_ptr<child_process> head;
  std::string address;                         // 127.0.0.1:PORT
  std::vector<std::unique_ptr<child_process>> nodes;
  temp_dir dir;

  cluster_fixture() {
    head = child_process::start({lagom_bin, "--data", data_dir(), "head", "--listen", "127.0.0.1:0", "--token", token,
                                 "--heartbeat-ms", "100", "--timeout-ms", "1000"});
    REQUIRE(head->wait_for("\n", 10s));
    std::smatch m;
    std::string out = head->output();
    REQUIRE(std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+)")));
    address = m[1];
  }

  child_process& start_node(const std::string& name, const std::string& cpus = "2",
                            const std::string& tok = token) {
    std::vector<std::string> argv{lagom_bin, "--data", data_dir(), "node", "--join", address, "--name", name,
                                  "--cpus", cpus, "--memory-mb", "2048"};
    if (!tok.empty()) {
      argv.push_back("--token");
      argv.push_back(tok);
    }
    nodes.push_back(child_process::start(argv));
    return *nodes.back();
  }

  run_result lagom(std::vector<std::string> args) {
    args.insert(args.begin(), {lagom_bin, "--data", data_dir()});
    return run(args, "", 30s);
  }

  void wait_nodes(int n) {
    auto r = lagom({"status", "--connect", address, "--token", token, "--wait-nodes", std::to_string(n)});
    INFO(r.output);
    REQUIRE(r.code == 0);
  }
};

} // namespace

TEST_CASE("a gang of four containers is granted across two node processes", "[cluster]") {
  cluster_fixture c;
  c.start_node("n1");
  c.start_node("n2");
  c.wait_nodes(2);
  auto script = c.dir.write("gang.lagom", "launch hello_gpu on 4 gang\n");
  auto r = c.lagom({"run", script, "--connect", c.address, "--token", token});
  INFO(r.output);
  REQUIRE(r.code == 0);
  for (int rank = 0; rank < 4; ++rank)
    CHECK(r.output.find("rank " + std::to_string(rank) + "/4") != std::string::npos);
  CHECK(r.output.find("Hello from cpu on n1") != std::string::npos);
  CHECK(r.output.find("Hello from cpu on n2") != std::string::npos);

  SECTION("a gang larger than the cluster is refused as infeasible, naming the numbers") {
    auto big = c.dir.write("big.lagom", "launch hello_gpu on 5 gang\n");
    auto r2 = c.lagom({"run", big, "--connect", c.address, "--token", token});
    INFO(r2.output);
    CHECK(r2.code == 1);
    CHECK(r2.output.find("big.lagom:1:1") != std::string::npos);
    CHECK(r2.output.find("5 cpus in a gang") != std::string::npos);
  }
  SECTION("status shows both nodes with nothing in use after the launch") {
    auto s = c.lagom({"status", "--connect", c.address, "--token", token});
    INFO(s.output);
    CHECK(s.code == 0);
    CHECK(s.output.find("2 node(s)") != std::string::npos);
    CHECK(std::regex_search(s.output, std::regex("n1 +127\\.0\\.0\\.1 +2 +0 ")));
  }
}

TEST_CASE("a node killed with -9 leaves the ledger and its launch reports the loss",
          "[cluster][fault]") {
  cluster_fixture c;
  c.start_node("n1");
  auto& n2 = c.start_node("n2");
  c.wait_nodes(2);
  auto script = c.dir.write("long.lagom", "launch sleep on 4 gang ms=120000\n");
  auto job = child_process::start({lagom_bin, "--data", data_dir(), "run", script, "--connect", c.address, "--token", token});
  auto busy = c.lagom({"status", "--connect", c.address, "--token", token, "--wait-running", "4"});
  INFO(busy.output);
  REQUIRE(busy.code == 0);
  n2.signal(SIGKILL);
  auto code = job->wait_exit(20s);
  INFO(job->output());
  REQUIRE(code.has_value());
  CHECK(*code == 1);
  CHECK(job->output().find("node 'n2' lost") != std::string::npos);
  CHECK(job->output().find("container_lost") == std::string::npos); // said in words
  CHECK(c.head->wait_for("(n2) removed: connection lost", 5s));
  auto s = c.lagom({"status", "--connect", c.address, "--token", token});
  INFO(s.output);
  CHECK(s.output.find("1 node(s)") != std::string::npos);
  CHECK(s.output.find("1 lost node(s)") != std::string::npos);
  // The survivors were released with the failed gang: n1 is free again.
  CHECK(std::regex_search(s.output, std::regex("n1 +127\\.0\\.0\\.1 +2 +0 ")));
}

TEST_CASE("a frozen node is dropped after the heartbeat timeout", "[cluster][fault]") {
  cluster_fixture c;
  c.start_node("n1");
  auto& n2 = c.start_node("n2");
  c.wait_nodes(2);
  n2.signal(SIGSTOP); // alive, connected, silent
  CHECK(c.head->wait_for("(n2) removed: no heartbeat for 1000 ms", 10s));
  // Asked while n2 is still frozen: once woken it rejoins as a new
  // incarnation (fencing), which a slow `status` could otherwise see.
  auto s = c.lagom({"status", "--connect", c.address, "--token", token});
  INFO(s.output);
  CHECK(s.output.find("1 node(s)") != std::string::npos);
  CHECK(s.output.find("1 lost node(s)") != std::string::npos);
  n2.signal(SIGCONT);
  c.wait_nodes(2);
}

TEST_CASE("a node with a wrong or missing token is refused on both sides", "[cluster]") {
  cluster_fixture c;
  auto& bad = c.start_node("intruder", "2", "not-the-token");
  auto code = bad.wait_exit(15s);
  INFO(bad.output());
  REQUIRE(code.has_value());
  CHECK(*code == 2);
  CHECK(bad.output().find("refused by the head") != std::string::npos);
  CHECK(bad.output().find("wrong cluster token") != std::string::npos);
  CHECK(c.head->wait_for("refused node 'intruder'", 5s));

  auto& anon = c.start_node("anonymous", "2", "");
  code = anon.wait_exit(15s);
  INFO(anon.output());
  REQUIRE(code.has_value());
  CHECK(*code == 2);
  CHECK(anon.output().find("missing cluster token") != std::string::npos);

  auto s = c.lagom({"status", "--connect", c.address, "--token", token});
  CHECK(s.output.find("0 node(s)") != std::string::npos);
}

TEST_CASE("a node that cannot reach its head says so and exits 1", "[cluster]") {
  closed_port closed;  // bound, never listened on: the join is refused
  auto port = std::to_string(closed.number());
  auto r = run({lagom_bin, "--data", data_dir(), "node", "--join", "127.0.0.1:" + port, "--token", token}, "", 30s);
  INFO(r.output);
  CHECK(r.code == 1);
  CHECK(r.output.find("cannot reach the head at 127.0.0.1:" + port) != std::string::npos);
}


TEST_CASE("a worker process killed with -9 costs its container, not its node",
          "[cluster][fault]") {
  cluster_fixture c;
  auto& n1 = c.start_node("n1");
  c.wait_nodes(1);
  auto script = c.dir.write("two.lagom", "launch sleep on 2 gang ms=120000\n");
  auto job = child_process::start({lagom_bin, "--data", data_dir(), "run", script, "--connect", c.address, "--token", token});
  auto busy = c.lagom({"status", "--connect", c.address, "--token", token, "--wait-running", "2"});
  REQUIRE(busy.code == 0);
  // The node logs a container before it forks its worker: wait (bounded)
  // until both workers are in the process table, then pick one.
  REQUIRE(n1.wait_for("(rank 1/2) in a process", 10s));
  std::vector<pid_t> workers;
  REQUIRE(wait_until([&] { return (workers = children_of(n1.pid())).size() == 2; }, 10s));
  ::kill(workers[0], SIGKILL);
  auto code = job->wait_exit(20s);
  INFO(job->output());
  REQUIRE(code.has_value());
  CHECK(*code == 1);
  CHECK(job->output().find("worker process killed by signal 9") != std::string::npos);
  // Its gang mate (rank 0 or 1: whichever was not killed) was stopped: the
  // stopped column of the row that ran on a cpu reads 1.
  CHECK(std::regex_search(job->output(), std::regex(" cpu +1 +[0-9]+ ms +[0-9.e+-]+ +1\\n")));
  auto s = c.lagom({"status", "--connect", c.address, "--token", token});
  INFO(s.output);
  CHECK(s.output.find("1 node(s), 0 queued request(s), 0 lost node(s)") != std::string::npos);
  CHECK(std::regex_search(s.output, std::regex("n1 +127\\.0\\.0\\.1 +2 +0 ")));
}
