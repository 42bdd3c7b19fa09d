// A stop signal to `lagom run` on an embedded cluster, mid-training (the
// way scancel or a time limit ends it): the running function is asked to
// stop, its run is recorded cancelled with the signal's name and its
// experiment stopped, a checkpoint of it exists, its worker process is gone,
// and lagom exits 128+N within a bounded time. Waits are bounded and driven
// by files and the process table.
#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <regex>

#include "child_process.hpp"

using namespace lagom::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string lagom_bin = LAGOM_BINARY;

// The steps of the committed checkpoints of run 0 of any experiment.
size_t checkpoints(const std::string& data) {
  std::error_code ec;
  size_t n = 0;
  fs::path root = fs::path(data) / "checkpoints";
  if (!fs::is_directory(root, ec))
    return 0;
  for (auto& exp : fs::directory_iterator(root, ec))
    for (auto& f : fs::directory_iterator(exp.path() / "0", ec))
      n += f.path().extension() == ".lgck";
  return n;
}

bool gone(pid_t pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

} // namespace

TEST_CASE("SIGTERM to lagom run mid-training cancels its run, keeps a checkpoint and leaves "
          "no process",
          "[signal]") {
  temp_dir data;
  auto script = data.write("long.lagom", "launch checkpointed on 1 budget=100000 step_ms=20\n");
  auto run_proc = child_process::start({lagom_bin, "--data", data.path(), "run", script,
                                        "--nodes", "1", "--process-containers"});
  std::vector<pid_t> workers;
  REQUIRE(wait_until([&] {
    workers = children_of(run_proc->pid());
    return !workers.empty() && checkpoints(data.path()) > 0;
  }, 20s));
  auto t0 = std::chrono::steady_clock::now();
  run_proc->signal(SIGTERM);
  auto code = run_proc->wait_exit(25s);
  auto took = std::chrono::steady_clock::now() - t0;
  INFO(run_proc->output());
  REQUIRE(code.has_value());
  CHECK(*code == 128 + SIGTERM);
  CHECK(took < 15s);
  CHECK(run_proc->output().find("stopped by SIGTERM") != std::string::npos);
  for (pid_t w : workers)
    CHECK(wait_until([&] { return gone(w); }, 5s));
  CHECK(checkpoints(data.path()) > 0);
  // The registry: the experiment stopped, its run cancelled, saying why.
  auto list = run({lagom_bin, "--data", data.path(), "experiments"}, "", 30s);
  INFO(list.output);
  REQUIRE(list.code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(list.output, m, std::regex("checkpointed-[0-9-]+")));
  CHECK(list.output.find("stopped") != std::string::npos);
  auto show = run({lagom_bin, "--data", data.path(), "show", m[0]}, "", 30s);
  INFO(show.output);
  REQUIRE(show.code == 0);
  CHECK(show.output.find("cancelled") != std::string::npos);
  CHECK(show.output.find("lagom run got SIGTERM") != std::string::npos);
}

TEST_CASE("SIGINT to a busy lagom node stops its worker and exits 128+N, and SIGTERM to the "
          "head records the run cancelled",
          "[signal]") {
  temp_dir data;
  auto head = child_process::start({lagom_bin, "--data", data.path(), "head", "--listen",
                                    "127.0.0.1:0", "--token", "sig-token"});
  REQUIRE(head->wait_for("feature store in", 10s));
  std::smatch m;
  std::string out = head->output();
  REQUIRE(std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+)")));
  const std::string address = m[1];
  auto busy = child_process::start({lagom_bin, "--data", data.path() + "/n1", "node", "--join",
                                    address, "--name", "n1", "--cpus", "1", "--token",
                                    "sig-token"});
  REQUIRE(busy->wait_for("joining", 10s));
  auto ready = run({lagom_bin, "--data", data.path() + "/c", "status", "--connect", address,
                    "--token", "sig-token", "--wait-nodes", "1"},
                   "", 20s);
  REQUIRE(ready.code == 0);
  auto script = data.write("long.lagom", "launch checkpointed on 1 budget=100000 step_ms=20\n");
  auto job = child_process::start({lagom_bin, "--data", data.path() + "/c", "run", script,
                                   "--connect", address, "--token", "sig-token"});
  REQUIRE(wait_until([&] { return checkpoints(data.path()) > 0; }, 20s));
  auto workers = children_of(busy->pid());
  REQUIRE_FALSE(workers.empty());
  busy->signal(SIGINT);
  auto code = busy->wait_exit(15s);
  INFO(busy->output());
  REQUIRE(code.has_value());
  CHECK(*code == 128 + SIGINT);
  CHECK(busy->output().find("SIGINT: stopping its containers") != std::string::npos);
  for (pid_t w : workers)
    CHECK(wait_until([&] { return gone(w); }, 5s));
  // The head: SIGTERM with the script's experiment still running records it.
  head->signal(SIGTERM);
  auto hcode = head->wait_exit(15s);
  INFO(head->output());
  REQUIRE(hcode.has_value());
  CHECK(*hcode == 128 + SIGTERM);
  CHECK(head->output().find("recorded cancelled (the head got SIGTERM)") != std::string::npos);
}
