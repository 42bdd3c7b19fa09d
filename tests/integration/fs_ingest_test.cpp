// The feature store's large writes and data=fs: training across real
// processes: a `lagom head` process holds the shards, clients are `lagom run
// --connect` processes. The full Fashion-MNIST training set (60,000 x 784,
// 47 MB of pixels: past one frame's budget) goes in parts with a progress
// line and becomes one version; a client killed with -9 mid-upload leaves
// the group whole or absent, and the head goes on serving; a `lagom node`
// (worker processes) trains the MLP from a training dataset through the head.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <regex>

#include "child_process.hpp"

using namespace lagom::test;
using namespace std::chrono_literals;

namespace {

const std::string lagom_bin = LAGOM_BINARY;
const std::string fashion = "/usr/share/datasets/fashion-mnist";
const std::string token = "fs-ingest-token";

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct head_fixture {
  temp_dir dir;
  std::unique_ptr<child_process> head;
  std::string address;
  head_fixture() {
    REQUIRE(std::filesystem::exists(fashion + "/train-images-idx3-ubyte.gz"));
    head = child_process::start({lagom_bin, "--data", dir.path() + "/head", "head", "--listen",
                                 "127.0.0.1:0", "--token", token});
    REQUIRE(head->wait_for("feature store in", 10s));
    std::smatch m;
    std::string out = head->output();
    REQUIRE(std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+)")));
    address = m[1];
  }
  ~head_fixture() {
    head->signal(SIGTERM);
    head->wait_exit(10s);
  }
  std::vector<std::string> client(const std::string& script) {
    return {lagom_bin, "--data", dir.path() + "/client", "run", dir.write("s.lagom", script),
            "--connect", address, "--token", token};
  }
  run_result fs_list() {
    return run({lagom_bin, "--data", dir.path() + "/client", "fs", "list", "--connect", address,
                "--token", token},
               "", 30s);
  }
};

} // namespace

TEST_CASE("the full Fashion-MNIST training set is ingested through a head in parts", "[fs][ingest]") {
  head_fixture h;
  auto r = run(h.client("create_featuregroup fm from=idx:" + fashion + " correlations=no\n"), "",
               60s);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(std::regex_search(r.output, std::regex("upload fm \\[\\.+\\] +0% +0\\.0 of 4[0-9]\\.[0-9] MB")));
  CHECK(std::regex_search(r.output, std::regex("upload fm \\[#+\\] 100% +4[0-9]\\.[0-9] of")));
  CHECK(has(r.output, "created feature group fm v1: 60000 rows, 3 features (key id)"));
  auto list = h.fs_list();
  INFO(list.output);
  CHECK(std::regex_search(list.output, std::regex("fm +1 +create +60000")));
}

TEST_CASE("a client killed with -9 mid-upload leaves no part of a version", "[fs][ingest][fault]") {
  head_fixture h;
  auto client = child_process::start(
    h.client("create_featuregroup fm from=idx:" + fashion + " correlations=no\n"));
  REQUIRE(client->wait_for("upload fm [", 30s)); // the first part is on its way
  client->signal(SIGKILL);
  client->wait_exit(10s);
  // whole or absent, never part: the one version has every row, or none is
  auto list = h.fs_list();
  INFO(list.output);
  REQUIRE(list.code == 0);
  const bool whole = std::regex_search(list.output, std::regex("fm +1 +create +60000"));
  CHECK((whole || !std::regex_search(list.output, std::regex("\\bfm\\b"))));
  // the head goes on serving writes (the 10,000 test images: one frame)
  auto r = run(h.client("create_featuregroup fm_again from=idx:" + fashion +
                        ":t10k correlations=no\n"),
               "", 60s);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(has(r.output, "created feature group fm_again v1: 10000 rows"));
}

TEST_CASE("a node's worker process trains the MLP from data=fs: through the head", "[fs][training][cluster]") {
  head_fixture h;
  auto node = child_process::start({lagom_bin, "--data", h.dir.path() + "/node", "node", "--join",
                                    h.address, "--name", "n1", "--cpus", "2", "--memory-mb",
                                    "2048", "--token", token});
  auto r = run(h.client("create_featuregroup fm from=idx:" + fashion + ":t10k correlations=no\n"
                        "create_training_dataset fmtd features=[image] label=label "
                        "splits=train:0.8,test:0.2 seed=5\n"
                        "launch fashion_mnist_mlp data=fs:fmtd epochs=1 train_limit=4000 "
                        "report_every=10 name=fsmlp\n"
                        "launch fashion_mnist_mlp data=\"fs:nosuch\" epochs=1 name=fsbad\n"),
               "", 90s);
  INFO(r.output);
  INFO(node->output());
  CHECK(has(r.output, "created training dataset fmtd v1: 784 features, label label, train 8000, "
                      "test 2000 rows"));
  std::smatch m;
  REQUIRE(std::regex_search(r.output, m, std::regex("test_acc ([0-9.]+)")));
  CHECK(std::stod(m[1]) > 0.6);
  // an unknown dataset: the run fails naming data and the name
  CHECK(has(r.output, "data=fs:nosuch"));
  CHECK(r.code == 1);
  node->signal(SIGTERM);
  node->wait_exit(10s);
}
