// A head killed with -9 under a running cluster (DESIGN.md section 3): the
// driver of a launch (`lagom run --connect`) ends with exit 1 and an error
// naming the head within a bound, the node retries the lost head past the
// old give-up point (5 restarts) and rejoins a head restarted on the same
// port (bound as port 0 first, then reused). A search driver likewise exits
// 1, naming `lagom resume`. A training launch whose head was killed is
// resumed: its unfinished run goes on from its checkpoint, its finished run
// is kept.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

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

// A head on 127.0.0.1 (port 0 at first; restarted on the port it bound)
// with its data in DIR/head, and one node joined to it with `node_args`.
struct loss_cluster {
  temp_dir dir;
  std::string data = dir.path() + "/head";
  std::unique_ptr<child_process> head, node;
  std::string address;

  explicit loss_cluster(const std::vector<std::string>& node_args) {
    head = start_head("127.0.0.1:0");
    REQUIRE(head->wait_for("\n", 10s));
    std::smatch m;
    std::string out = head->output();
    REQUIRE(std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+)")));
    address = m[1];
    std::vector<std::string> argv{lagom_bin, "--data", dir.path() + "/node", "node", "--join",
                                  address,   "--token", token};
    argv.insert(argv.end(), node_args.begin(), node_args.end());
    node = child_process::start(argv);
  }

  std::unique_ptr<child_process> start_head(const std::string& listen) {
    return child_process::start({lagom_bin, "--data", data, "head", "--listen", listen, "--token",
                                 token, "--heartbeat-ms", "100", "--timeout-ms", "1000"});
  }

  std::vector<std::string> client(std::vector<std::string> args) {
    args.insert(args.begin(), {lagom_bin, "--data", dir.path() + "/client"});
    args.insert(args.end(), {"--connect", address, "--token", token});
    return args;
  }
};

} // namespace

TEST_CASE("a driver whose head is killed exits 1 in bounded time and the node rejoins a restarted head",
          "[cluster][fault]") {
  ::unsetenv("LAGOM_TOKEN");
  loss_cluster c({"--name", "steady", "--cpus", "1", "--rejoin-max-ms", "200"});
  REQUIRE(run(c.client({"status", "--wait-nodes", "1"}), "", 30s).code == 0);

  auto script = c.dir.write("long.lagom", "launch sleep on 1 ms=60000\n");
  auto job = child_process::start(c.client({"run", script}));
  REQUIRE(run(c.client({"status", "--wait-running", "1"}), "", 30s).code == 0);

  auto killed = std::chrono::steady_clock::now();
  c.head->signal(SIGKILL);
  REQUIRE(c.head->wait_exit(5s).has_value());
  auto code = job->wait_exit(10s);
  auto took = std::chrono::steady_clock::now() - killed;
  INFO(job->output());
  REQUIRE(code.has_value());
  CHECK(*code == 1);
  CHECK(job->output().find("the head at " + c.address + " is gone") != std::string::npos);
  // Bound: twice the head's heartbeat timeout (1000 ms).
  CHECK(took < 2s);

  // The node retries past the five restarts it used to give up after.
  REQUIRE(c.node->wait_for("cluster head lost", 10s));
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (count_of(c.node->output(), "unreachable") < 7 &&
         std::chrono::steady_clock::now() < deadline)
    c.node->wait_for("\x01never printed", 100ms);
  INFO(c.node->output());
  REQUIRE(count_of(c.node->output(), "unreachable") >= 7);

  c.head = c.start_head(c.address);
  REQUIRE(c.head->wait_for("listening on " + c.address, 10s));
  CHECK(c.head->wait_for("node 'steady'", 15s));
  auto s = run(c.client({"status", "--wait-nodes", "1"}), "", 30s);
  INFO(s.output + c.node->output());
  CHECK(s.code == 0);
  CHECK(s.output.find("steady") != std::string::npos);
}

TEST_CASE("a search whose head is killed exits 1 naming lagom resume", "[cluster][fault]") {
  ::unsetenv("LAGOM_TOKEN");
  loss_cluster c({"--name", "n1", "--cpus", "2"});
  REQUIRE(run(c.client({"status", "--wait-nodes", "1"}), "", 30s).code == 0);
  auto script = c.dir.write("search.lagom",
                            "search sleep trials=4 metric=slept_ms name=lost-search "
                            "space { ms: double [30000, 60000] }\n");
  auto job = child_process::start(c.client({"run", script}));
  REQUIRE(run(c.client({"status", "--wait-running", "1"}), "", 30s).code == 0);
  c.head->signal(SIGKILL);
  auto code = job->wait_exit(10s);
  INFO(job->output());
  REQUIRE(code.has_value());
  CHECK(*code == 1);
  CHECK(job->output().find("the head at " + c.address + " is gone") != std::string::npos);
  CHECK(job->output().find("`lagom resume lost-search`") != std::string::npos);
}

TEST_CASE("a training launch whose head was killed is resumed from its checkpoints and its finished run is kept",
          "[cluster][fault]") {
  ::unsetenv("LAGOM_TOKEN");
  loss_cluster c({"--name", "n1", "--cpus", "2", "--rejoin-max-ms", "200"});
  REQUIRE(run(c.client({"status", "--wait-nodes", "1"}), "", 30s).code == 0);

  // Run 0 trains 3 steps and finishes; run 1 trains 43 (100 ms each).
  const std::string trace = c.dir.path() + "/trace.txt";
  auto script = c.dir.write("train.lagom", "launch checkpointed on 2 name=tl budget=3 "
                                           "extra_per_rank=40 step_ms=100 trace=\"" +
                                             trace + "\"\n");
  auto job = child_process::start(c.client({"run", script}));
  auto read_trace = [&] {
    std::ifstream in(trace);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  REQUIRE(wait_until([&] { return read_trace().find("run 0 ") != std::string::npos; }, 20s));
  // Run 1 has checkpoints to resume from.
  const std::string ckpt = c.data + "/checkpoints/tl/1";
  REQUIRE(wait_until([&] {
    std::error_code ec;
    return std::filesystem::exists(ckpt, ec) && !std::filesystem::is_empty(ckpt, ec);
  }, 10s));
  std::this_thread::sleep_for(500ms); // a few more steps: a duration, not a sync

  c.head->signal(SIGKILL);
  REQUIRE(c.head->wait_exit(5s).has_value());
  auto code = job->wait_exit(10s);
  INFO(job->output());
  REQUIRE(code.has_value());
  CHECK(*code == 1);
  CHECK(job->output().find("`lagom resume tl`") != std::string::npos);
  REQUIRE(c.node->wait_for("cluster head lost", 10s));

  c.head = c.start_head(c.address);
  REQUIRE(c.head->wait_for("listening on " + c.address, 10s));
  REQUIRE(run(c.client({"status", "--wait-nodes", "1", "--wait-ms", "15000"}), "", 30s).code == 0);
  auto r = run(c.client({"resume", "tl"}), "", 60s);
  INFO(r.output + "\n--- head\n" + c.head->output() + "\n--- node\n" + c.node->output());
  REQUIRE(r.code == 0);
  CHECK(r.output.find("resuming launch tl of checkpointed") != std::string::npos);

  // Run 0 ran once (not again); run 1 went on from its checkpoint to 43.
  std::string text = read_trace();
  INFO(text);
  CHECK(count_of(text, "run 0 ") == 1);
  CHECK(count_of(text, "run 1 ") == 1);
  std::smatch m;
  const std::regex resumed("run 1 parent -1 budget 43 from ([0-9]+) trained ([0-9]+)");
  REQUIRE(std::regex_search(text, m, resumed));
  CHECK(std::stoi(m[1]) > 0);
  CHECK(std::stoi(m[1]) + std::stoi(m[2]) == 43);
  // The registry: both runs finished; run 0 with its one attempt.
  auto show = run(c.client({"show", "tl"}), "", 30s);
  INFO(show.output);
  CHECK(std::regex_search(show.output, std::regex("\\n\\s*0\\s+finished\\s")));
  CHECK(std::regex_search(show.output, std::regex("\\n\\s*1\\s+finished\\s")));
}
