// Shared storage (--shared-data) across real processes on loopback: a head
// whose checkpointer works on directory S and two node processes that see S
// write a run's checkpoints there themselves (staged, then committed by the
// head, which counts the payload bytes that crossed it: none); a node killed
// with -9 mid-run loses its run, which restarts on the other node and goes
// on from the checkpoint that node wrote to S. The head's own data
// directory holds no checkpoint. Waits are bounded and driven by files and
// output.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "child_process.hpp"

using namespace lagom::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string lagom_bin = LAGOM_BINARY;
const std::string token = "shared-data-token";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The newest committed checkpoint of run 0 of any experiment under `shared`:
// its step (0: none yet) and the node its payload names.
uint64_t newest_checkpoint(const std::string& shared, std::string* node) {
  std::error_code ec;
  uint64_t best = 0;
  fs::path root = fs::path(shared) / "checkpoints";
  if (!fs::is_directory(root, ec))
    return 0;
  for (auto& exp : fs::directory_iterator(root, ec))
    for (auto& f : fs::directory_iterator(exp.path() / "0", ec)) {
      std::smatch m;
      std::string name = f.path().filename().string();
      if (!std::regex_match(name, m, std::regex("ckpt-([0-9]+)\\.lgck")))
        continue;
      uint64_t step = std::stoull(m[1]);
      if (step <= best)
        continue;
      std::string bytes = slurp(f.path());
      std::smatch on;
      if (std::regex_search(bytes, on, std::regex("step [0-9]+ on (n[12])"))) {
        best = step;
        *node = on[1];
      }
    }
  return best;
}

} // namespace

TEST_CASE("with --shared-data nodes write checkpoints that never cross the head, and a run "
          "restarted after kill -9 goes on from one",
          "[cluster][fault][shared]") {
  temp_dir shared, head_data, n1_data, n2_data, client;
  auto head = child_process::start({lagom_bin, "--data", head_data.path(), "head", "--listen",
                                    "127.0.0.1:0", "--token", token, "--heartbeat-ms", "100",
                                    "--timeout-ms", "1000", "--shared-data", shared.path()});
  REQUIRE(head->wait_for("feature store in", 10s));
  std::smatch m;
  std::string out = head->output();
  REQUIRE(std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+)")));
  const std::string address = m[1];
  CHECK(out.find("checkpoints in " + shared.path() + "/checkpoints") != std::string::npos);
  std::map<std::string, std::unique_ptr<child_process>> nodes;
  for (auto [name, dir] : {std::pair{"n1", &n1_data}, std::pair{"n2", &n2_data}})
    nodes[name] = child_process::start({lagom_bin, "--data", dir->path(), "node", "--join",
                                        address, "--name", name, "--cpus", "1", "--memory-mb",
                                        "1024", "--token", token, "--shared-data",
                                        shared.path()});
  for (auto& [name, n] : nodes)
    REQUIRE(n->wait_for("shared data in " + shared.path(), 10s));
  auto ready = run({lagom_bin, "--data", client.path(), "status", "--connect", address, "--token",
                    token, "--wait-nodes", "2"},
                   "", 20s);
  INFO(ready.output);
  REQUIRE(ready.code == 0);

  const std::string trace = client.path() + "/trace";
  auto script = client.write("ckpt.lagom", "launch checkpointed on 1 budget=25 step_ms=60 trace=" +
                                             trace + "\n");
  auto job = child_process::start({lagom_bin, "--data", client.path(), "run", script,
                                   "--connect", address, "--token", token});
  std::string first;
  REQUIRE(wait_until([&] { return newest_checkpoint(shared.path(), &first) >= 4; }, 20s));
  // Kill the node that wrote them; the run restarts on the other one.
  REQUIRE(nodes.count(first) == 1);
  nodes[first]->signal(SIGKILL);
  auto code = job->wait_exit(40s);
  INFO(job->output());
  INFO(head->output());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  const std::string other = first == "n1" ? "n2" : "n1";
  std::string last;
  CHECK(newest_checkpoint(shared.path(), &last) == 25);
  CHECK(last == other);
  // The second attempt went on from the first node's checkpoint (>= 4), not 0.
  std::string t = slurp(trace);
  INFO(t);
  REQUIRE(std::regex_search(t, m, std::regex("budget 25 from ([0-9]+)")));
  CHECK(std::stoull(m[1]) >= 4);
  // Every checkpoint was committed from shared storage: no payload byte
  // crossed the head, and nothing was written to its own data directory.
  REQUIRE(head->wait_for("committed from shared storage", 1s));
  std::string h = head->output();
  std::regex counters("through the head so far: ([0-9]+) bytes in ([0-9]+) saves, ([0-9]+) "
                      "committed from shared storage");
  uint64_t commits = 0;
  for (auto i = std::sregex_iterator(h.begin(), h.end(), counters); i != std::sregex_iterator();
       ++i) {
    CHECK((*i)[1] == "0");
    CHECK((*i)[2] == "0");
    commits = std::stoull((*i)[3]);
  }
  CHECK(commits >= 25);
  CHECK_FALSE(fs::exists(head_data.path() + "/checkpoints/" ));
  // No staged file was left behind by the nodes.
  for (auto& f : fs::recursive_directory_iterator(shared.path() + "/checkpoints"))
    CHECK(f.path().extension() != ".staged");
}

TEST_CASE("a node given the head's own writable data directory uses it as shared data",
          "[cluster][shared]") {
  temp_dir data;
  auto head = child_process::start({lagom_bin, "--data", data.path(), "head", "--listen",
                                    "127.0.0.1:0", "--token", token});
  REQUIRE(head->wait_for("feature store in", 10s));
  std::smatch m;
  std::string out = head->output();
  REQUIRE(std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+)")));
  auto node = child_process::start({lagom_bin, "--data", data.path(), "node", "--join", m[1],
                                    "--name", "n1", "--cpus", "1", "--token", token});
  CHECK(node->wait_for("shared data in " + data.path(), 10s));
}

TEST_CASE("a node refuses a --shared-data directory it cannot write, with exit 2",
          "[cluster][shared]") {
  temp_dir data;
  auto r = run({lagom_bin, "--data", data.path(), "node", "--join", "127.0.0.1:1", "--token",
                token, "--shared-data", data.path() + "/missing"},
               "", 10s);
  INFO(r.output);
  CHECK(r.code == 2);
  CHECK(r.output.find("--shared-data " + data.path() + "/missing: not a writable directory") !=
        std::string::npos);
}
