// Training end to end with the real `lagom` binary on Debian's Fashion-MNIST:
// a run recorded in the registry with its logs, checkpoints and TensorBoard
// file; and a worker process killed with -9 mid-training, after which the run
// starts again from its last checkpoint and completes. Every CLI call names
// its own --data directory. Waits are bounded and driven by output.
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
const std::string dataset = "/usr/share/datasets/fashion-mnist";

bool have_dataset() {
  return fs::exists(dataset + "/train-images-idx3-ubyte.gz");
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

size_t count_files(const fs::path& dir, const std::string& prefix) {
  size_t n = 0;
  if (fs::exists(dir))
    for (auto& e : fs::recursive_directory_iterator(dir))
      n += e.path().filename().string().rfind(prefix, 0) == 0;
  return n;
}


} // namespace

TEST_CASE("a training run is recorded with metrics, logs, checkpoints and TensorBoard",
          "[training]") {
  INFO(dataset + " is absent: scripts/setup installs Debian's dataset-fashion-mnist");
  REQUIRE(have_dataset());
  temp_dir d;
  auto script = d.write("t.lagom",
                        "launch fashion_mnist_mlp epochs=2 train_limit=3000 name=mlp-small\n");
  auto r = run({lagom_bin, "--data", d.path(), "run", script, "--nodes", "1"}, "", 120s);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(contains(r.output, "experiment mlp-small"));
  CHECK(contains(r.output, "run 0 epoch 2/2"));
  CHECK(std::regex_search(r.output, std::regex("test_accuracy")));

  auto list = run({lagom_bin, "--data", d.path(), "experiments"});
  INFO(list.output);
  CHECK(list.code == 0);
  CHECK(contains(list.output, "mlp-small"));
  CHECK(contains(list.output, "finished"));

  auto show = run({lagom_bin, "--data", d.path(), "show", "mlp-small"});
  INFO(show.output);
  CHECK(show.code == 0);
  CHECK(contains(show.output, "fashion_mnist_mlp"));
  CHECK(contains(show.output, "test_accuracy"));

  auto logs = run({lagom_bin, "--data", d.path(), "logs", "mlp-small"});
  INFO(logs.output);
  CHECK(logs.code == 0);
  CHECK(contains(logs.output, "epoch 2/2: loss"));

  CHECK(count_files(fs::path(d.path()) / "checkpoints" / "mlp-small", "ckpt-") == 2);
  CHECK(count_files(fs::path(d.path()) / "tensorboard" / "mlp-small", "events.out.tfevents.")
        == 1);
}

TEST_CASE("a worker killed with -9 mid-training restarts from its checkpoint and completes",
          "[training][fault]") {
  INFO(dataset + " is absent: scripts/setup installs Debian's dataset-fashion-mnist");
  REQUIRE(have_dataset());
  temp_dir d;
  const std::string token = "train-token";
  auto head = child_process::start({lagom_bin, "--data", d.path(), "head", "--listen",
                                    "127.0.0.1:0", "--token", token});
  REQUIRE(head->wait_for("\n", 10s));
  std::smatch m;
  std::string out = head->output();
  REQUIRE(std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+)")));
  std::string address = m[1];
  auto node = child_process::start({lagom_bin, "--data", d.path(), "node", "--join", address,
                                    "--token", token, "--name", "n1", "--cpus", "2"});
  REQUIRE(run({lagom_bin, "status", "--connect", address, "--token", token, "--wait-nodes", "1"}).code == 0);

  auto script = d.write("cnn.lagom", "launch fashion_mnist_cnn cpus=2 epochs=3 "
                                     "train_limit=1536 report_every=4 name=resilient\n");
  auto job = child_process::start({lagom_bin, "run", script, "--connect", address, "--token", token});
  // The end of epoch 1 is printed after its checkpoint was saved.
  REQUIRE(job->wait_for("run 0 epoch 1/3", 120s));
  auto workers = children_of(node->pid());
  REQUIRE(workers.size() == 1);
  ::kill(workers[0], SIGKILL);
  auto code = job->wait_exit(180s);
  INFO(job->output() + node->output());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(contains(job->output(), "run 0: lost (container"));
  CHECK(contains(job->output(), "worker process killed by signal 9"));
  CHECK(contains(job->output(), "run 0: attempt 2 started on n1"));
  CHECK(contains(job->output(), "run 0 epoch 3/3"));
  auto logs = run({lagom_bin, "logs", "resilient", "--connect", address, "--token", token});
  INFO(logs.output);
  CHECK(std::regex_search(logs.output, std::regex("attempt 2 resumed from epoch [12]")));
  auto show = run({lagom_bin, "show", "resilient", "--connect", address, "--token", token});
  INFO(show.output);
  CHECK(contains(show.output, "finished"));
}
