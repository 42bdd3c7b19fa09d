// A head killed with -9 under a running cluster (DESIGN.md section 3): the
// driver of a launch (`lagom run --connect`) ends with exit 1 and an error
// naming the head within a bound, the node retries the lost head past the
// old give-up point (5 restarts) and rejoins a head restarted on the same
// port (bound as port 0 first, then reused). A search driver likewise exits
// 1, naming `lagom resume`.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <regex>

#include "child_process.hpp"

using namespace lagom::test;
using namespace std::chrono_literals;

namespace {

const std::string lagom_bin = LAGOM_BINARY;
const std::string token = "loss-token";

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

} // namespace

TEST_CASE("a driver whose head is killed exits 1 in bounded time and the node rejoins a restarted head",
          "[cluster][fault]") {
  ::unsetenv("LAGOM_TOKEN");
  temp_dir dir;
  const std::string data = dir.path() + "/head";
  auto start_head = [&](const std::string& listen) {
    return child_process::start({lagom_bin, "--data", data, "head", "--listen", listen, "--token",
                                 token, "--heartbeat-ms", "100", "--timeout-ms", "1000"});
  };
  auto head = start_head("127.0.0.1:0");
  REQUIRE(head->wait_for("\n", 10s));
  std::smatch m;
  std::string out = head->output();
  REQUIRE(std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+)")));
  const std::string address = m[1];
  auto client = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {lagom_bin, "--data", dir.path() + "/client"});
    args.insert(args.end(), {"--connect", address, "--token", token});
    return args;
  };
  auto node = child_process::start({lagom_bin, "--data", dir.path() + "/node", "node", "--join",
                                    address, "--token", token, "--name", "steady", "--cpus", "1",
                                    "--rejoin-max-ms", "200"});
  REQUIRE(run(client({"status", "--wait-nodes", "1"}), "", 30s).code == 0);

  auto script = dir.write("long.lagom", "launch sleep on 1 ms=60000\n");
  auto job = child_process::start(client({"run", script}));
  REQUIRE(run(client({"status", "--wait-running", "1"}), "", 30s).code == 0);

  auto killed = std::chrono::steady_clock::now();
  head->signal(SIGKILL);
  REQUIRE(head->wait_exit(5s).has_value());
  auto code = job->wait_exit(10s);
  auto took = std::chrono::steady_clock::now() - killed;
  INFO(job->output());
  REQUIRE(code.has_value());
  CHECK(*code == 1);
  CHECK(job->output().find("the head at " + address + " is gone") != std::string::npos);
  // Bound: twice the head's heartbeat timeout (1000 ms).
  CHECK(took < 2s);

  // The node retries past the five restarts it used to give up after.
  REQUIRE(node->wait_for("cluster head lost", 10s));
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (count_of(node->output(), "unreachable") < 7 && std::chrono::steady_clock::now() < deadline)
    node->wait_for("\x01never printed", 100ms);
  INFO(node->output());
  REQUIRE(count_of(node->output(), "unreachable") >= 7);

  head = start_head(address);
  REQUIRE(head->wait_for("listening on " + address, 10s));
  CHECK(head->wait_for("node 'steady'", 15s));
  auto s = run(client({"status", "--wait-nodes", "1"}), "", 30s);
  INFO(s.output + node->output());
  CHECK(s.code == 0);
  CHECK(s.output.find("steady") != std::string::npos);
}

TEST_CASE("a search whose head is killed exits 1 naming lagom resume", "[cluster][fault]") {
  ::unsetenv("LAGOM_TOKEN");
  temp_dir dir;
  auto head = child_process::start({lagom_bin, "--data", dir.path() + "/head", "head", "--listen",
                                    "127.0.0.1:0", "--token", token, "--heartbeat-ms", "100",
                                    "--timeout-ms", "1000"});
  REQUIRE(head->wait_for("\n", 10s));
  std::smatch m;
  std::string out = head->output();
  REQUIRE(std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+)")));
  const std::string address = m[1];
  auto client = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {lagom_bin, "--data", dir.path() + "/client"});
    args.insert(args.end(), {"--connect", address, "--token", token});
    return args;
  };
  auto node = child_process::start({lagom_bin, "--data", dir.path() + "/node", "node", "--join",
                                    address, "--token", token, "--name", "n1", "--cpus", "2"});
  REQUIRE(run(client({"status", "--wait-nodes", "1"}), "", 30s).code == 0);
  auto script = dir.write("search.lagom", "search sleep trials=4 metric=slept_ms name=lost-search "
                                          "space { ms: double [30000, 60000] }\n");
  auto job = child_process::start(client({"run", script}));
  REQUIRE(run(client({"status", "--wait-running", "1"}), "", 30s).code == 0);
  head->signal(SIGKILL);
  auto code = job->wait_exit(10s);
  INFO(job->output());
  REQUIRE(code.has_value());
  CHECK(*code == 1);
  CHECK(job->output().find("the head at " + address + " is gone") != std::string::npos);
  CHECK(job->output().find("`lagom resume lost-search`") != std::string::npos);
}
