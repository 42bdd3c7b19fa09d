// Data-parallel jobs over Gloo (TCP), with real processes on loopback: the
// ranks meet through the rendezvous store their driver serves (kv_set/kv_get
// to the ddp_job, which owns a rendezvous_store actor). backend=gloo forces
// the TCP path on one machine. Checked: two ranks in worker processes train
// as one rank with the whole batch (ddp_sgd_probe: BatchNorm with sync_bn,
// the difference computed inside each rank); the same across a `lagom head`
// and two `lagom node` processes, one rank on each; kill -9 of one rank's
// worker under gloo restarts the group as generation 2 from the checkpoint,
// and the job's final test accuracy is within 1 point of an undisturbed run
// with the same seed. Bounded waits, driven by output.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <regex>

#include "child_process.hpp"

using namespace lagom::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string lagom_bin = LAGOM_BINARY;
const std::string dataset = "/usr/share/datasets/fashion-mnist";
const std::string token = "ddp-gloo-token";

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// Every "key=<number>" in `text`, in order.
std::vector<double> values_of(const std::string& text, const std::string& key) {
  std::vector<double> out;
  std::regex re(key + "=([-+0-9.eE]+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it)
    out.push_back(std::stod((*it)[1].str()));
  return out;
}

// The ranks' max_diff and moved as `show` prints them (its table of runs, one
// row per rank): each rank must match the one-rank reference and must have moved.
void check_probe(const std::string& show, size_t ranks) {
  const auto table = show.find("FINAL METRICS");
  REQUIRE(table != std::string::npos);
  auto diffs = values_of(show.substr(table), "max_diff");
  auto moved = values_of(show.substr(table), "moved");
  REQUIRE(diffs.size() == ranks);
  REQUIRE(moved.size() == ranks);
  for (size_t r = 0; r < ranks; ++r) {
    INFO("rank " << r);
    CHECK(diffs[r] < 1e-5);
    CHECK(moved[r] > 1e-3);
  }
}

} // namespace

TEST_CASE("two gloo ranks in worker processes reach one rank's parameters with sync_bn",
          "[ddp][gloo]") {
  temp_dir d;
  auto script = d.write("g.lagom", "all_reduce ddp_sgd_probe workers=2 backend=gloo "
                                   "sync_bn=true name=gloo-probe\n");
  auto r = run({lagom_bin, "--data", d.path(), "run", script, "--nodes", "1",
                "--process-containers"}, "", 60s);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(contains(r.output, "2 rank(s), backend gloo, 1 generation(s)"));
  auto show = run({lagom_bin, "--data", d.path(), "show", "gloo-probe"});
  INFO(show.output);
  check_probe(show.output, 2);
}

TEST_CASE("a gloo group spans a head and two node processes, one rank on each",
          "[ddp][gloo][cluster]") {
  temp_dir d;
  auto head = child_process::start({lagom_bin, "--data", d.path(), "head", "--listen",
                                    "127.0.0.1:0", "--token", token});
  REQUIRE(head->wait_for("listening on", 10s));
  std::smatch m;
  std::string out = head->output();
  REQUIRE(std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+)")));
  const std::string address = m[1];
  std::vector<std::unique_ptr<child_process>> nodes;
  for (const char* name : {"h1", "h2"})
    nodes.push_back(child_process::start({lagom_bin, "--data", d.path(), "node", "--join",
                                          address, "--name", name, "--cpus", "1",
                                          "--memory-mb", "1024", "--token", token}));
  auto ready = run({lagom_bin, "--data", d.path(), "status", "--connect", address, "--token",
                    token, "--wait-nodes", "2"}, "", 30s);
  REQUIRE(ready.code == 0);
  auto script = d.write("h.lagom", "all_reduce ddp_sgd_probe workers=2 backend=gloo "
                                   "sync_bn=true spread name=hosts-probe\n"
                                   "show hosts-probe\n");
  auto r = run({lagom_bin, "--data", d.path(), "run", script, "--connect", address, "--token",
                token}, "", 60s);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(contains(r.output, "2 rank(s), backend gloo, 1 generation(s)"));
  CHECK(std::regex_search(r.output, std::regex("\\bh1\\b")));
  CHECK(std::regex_search(r.output, std::regex("\\bh2\\b")));
  check_probe(r.output, 2);
}

TEST_CASE("kill -9 of a gloo rank restarts the group and the accuracy stays within a point",
          "[ddp][gloo][fault]") {
  REQUIRE(fs::exists(dataset + "/train-images-idx3-ubyte.gz"));
  temp_dir d;
  const std::string job = "all_reduce fashion_mnist_mlp workers=2 backend=gloo epochs=4 "
                          "train_limit=4000 report_every=4 seed=7 collective_timeout=20 ";
  auto calm = run({lagom_bin, "--data", d.path(), "run", d.write("c.lagom", job + "name=calm\n"),
                   "--nodes", "1", "--process-containers"}, "", 120s);
  INFO(calm.output);
  REQUIRE(calm.code == 0);
  auto calm_acc = values_of(calm.output, "test_accuracy");
  REQUIRE(calm_acc.size() == 2);

  auto run_job = child_process::start({lagom_bin, "--data", d.path(), "run",
                                       d.write("k.lagom", job + "name=killed\n"), "--nodes", "1",
                                       "--process-containers"});
  // The end of epoch 1 is printed after rank 0 saved its checkpoint; epoch 2
  // is running when the kill lands.
  REQUIRE(run_job->wait_for("run 0 epoch 1/4", 60s));
  auto workers = children_of(run_job->pid());
  REQUIRE(workers.size() == 2);
  ::kill(workers[1], SIGKILL);
  auto code = run_job->wait_exit(120s);
  const std::string output = run_job->output();
  INFO(output);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(contains(output, "worker process killed by signal 9"));
  CHECK(contains(output, "restarting"));
  CHECK(contains(output, "2 rank(s), backend gloo, 2 generation(s)"));
  CHECK(contains(output, "run 0 epoch 4/4"));
  auto acc = values_of(output.substr(output.find("2 generation(s)")), "test_accuracy");
  REQUIRE(acc.size() == 2);
  CHECK(std::fabs(acc[0] - calm_acc[0]) <= 0.01);
  CHECK(acc[0] == acc[1]); // both ranks evaluate the same model
  auto logs = run({lagom_bin, "--data", d.path(), "logs", "killed"});
  INFO(logs.output);
  CHECK(std::regex_search(logs.output,
                          std::regex("\\[rank 1/2\\] attempt 2 resumed from epoch [123]")));
}
