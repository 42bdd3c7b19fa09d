// Searches whose trials are data-parallel (`search FN workers=2`), end to
// end with the real `lagom` binary on an embedded cluster: every trial of
// the MLP runs on 2 ranks (each rank's log lines say "[rank r/2]"); ASHA
// promotes a trial, whose ranks go on from its parent's checkpoint; kill -9
// of one rank's worker process retries that trial on a fresh gang and no
// trial is lost; a gang the cluster can never hold is an error naming
// `workers`. Waits are bounded and driven by output.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "child_process.hpp"

using namespace lagom::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string lagom_bin = LAGOM_BINARY;
const std::string dataset = "/usr/share/datasets/fashion-mnist";

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// run -> status, from `lagom show`'s table.
std::map<int, std::string> run_statuses(const std::string& data, const std::string& name) {
  auto r = run({lagom_bin, "--data", data, "show", name});
  std::map<int, std::string> out;
  std::istringstream in(r.output);
  std::string line;
  std::regex row(R"(^\s*(\d+)\s+(queued|running|finished|failed|stopped_early|lost)\s)");
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_search(line, m, row))
      out[std::stoi(m[1])] = m[2];
  return out;
}

// The ranks ("r/N") whose log lines a run of `name` has.
std::set<std::string> ranks_logged(const std::string& data, const std::string& name, int run_id) {
  auto r = run({lagom_bin, "--data", data, "logs", name, std::to_string(run_id)});
  std::set<std::string> out;
  std::regex tag(R"(\[rank (\d+/\d+)\])");
  for (auto it = std::sregex_iterator(r.output.begin(), r.output.end(), tag);
       it != std::sregex_iterator(); ++it)
    out.insert((*it)[1]);
  return out;
}

// A search of the MLP on one gang of 2 ranks, on the first `limit` samples.
std::string mlp(int limit = 512) {
  return "search fashion_mnist_mlp workers=2 containers=1 batch_size=64 report_every=2 "
         "train_limit=" + std::to_string(limit) + " ";
}


} // namespace

TEST_CASE("a search with workers=2 runs every MLP trial on 2 ranks", "[search][ddp]") {
  REQUIRE(fs::exists(dataset + "/train-images-idx3-ubyte.gz"));
  temp_dir d;
  auto script = d.write("s.lagom", mlp() + "optimizer=random trials=3 epochs=1 name=dp "
                                         "space { lr: double [1e-3, 1e-2] log }\n");
  auto r = run({lagom_bin, "--data", d.path(), "run", script, "--nodes", "1",
                "--cpus-per-node", "2"}, "", 60s);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(contains(r.output, "search dp: 3 trials, 3 finished, 0 stopped early, 0 failed"));
  auto runs = run_statuses(d.path(), "dp");
  CHECK(runs.size() == 3);
  for (auto& [id, s] : runs) {
    INFO("run " << id);
    CHECK(s == "finished");
    CHECK(ranks_logged(d.path(), "dp", id) == std::set<std::string>{"0/2", "1/2"});
  }
}

TEST_CASE("ASHA with workers=2 promotes a trial that goes on from its parent's checkpoint",
          "[search][ddp]") {
  REQUIRE(fs::exists(dataset + "/train-images-idx3-ubyte.gz"));
  temp_dir d;
  auto script = d.write("a.lagom", mlp() + "optimizer=asha trials=3 resource=epochs "
                                         "resource_min=1 resource_max=2 name=dpa "
                                         "space { lr: double [1e-3, 1e-2] log }\n");
  auto r = run({lagom_bin, "--data", d.path(), "run", script, "--nodes", "1",
                "--cpus-per-node", "2"}, "", 60s);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(contains(r.output, "search dpa: 3 trials, 3 finished"));
  // Budgets 1, 1, then the better one promoted to 2: trial 2 resumes epoch 1
  // of its parent on both ranks.
  auto logs = run({lagom_bin, "--data", d.path(), "logs", "dpa", "2"});
  INFO(logs.output);
  CHECK(contains(logs.output, "[rank 0/2] attempt 1 resumed from epoch 1"));
  CHECK(contains(logs.output, "[rank 1/2] attempt 1 resumed from epoch 1"));
}

TEST_CASE("kill -9 of one rank's worker restarts that trial's gang and loses no trial",
          "[search][ddp][fault]") {
  REQUIRE(fs::exists(dataset + "/train-images-idx3-ubyte.gz"));
  temp_dir d;
  auto script = d.write("k.lagom", mlp(4096) + "optimizer=random trials=2 epochs=3 name=dpk "
                                         "space { lr: double [1e-3, 1e-2] log }\n");
  auto p = child_process::start({lagom_bin, "--data", d.path(), "run", script, "--nodes", "1",
                                 "--cpus-per-node", "2", "--process-containers"});
  // Trial 0 is in its second epoch once rank 0 wrote its first checkpoint.
  const fs::path ckpt = fs::path(d.path()) / "checkpoints" / "dpk" / "0";
  for (int i = 0; i < 6000 && !(fs::exists(ckpt) && !fs::is_empty(ckpt)); ++i)
    p->wait_for("never printed", 5ms);
  REQUIRE(fs::exists(ckpt));
  auto workers = children_of(p->pid());
  REQUIRE(workers.size() == 2);
  ::kill(workers[1], SIGKILL);
  auto code = p->wait_exit(60s);
  INFO(p->output());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(contains(p->output(), "search dpk: 2 trials, 2 finished, 0 stopped early, 0 failed, "
                              "1 retried"));
  auto runs = run_statuses(d.path(), "dpk");
  CHECK(runs.size() == 2);
  for (auto& [id, s] : runs)
    CHECK(s == "finished");
}

TEST_CASE("workers=3 on a cluster of 2 containers is an error naming workers", "[search][ddp]") {
  temp_dir d;
  auto script = d.write("w.lagom", "search fashion_mnist_mlp workers=3 trials=2 name=dpw "
                                   "space { lr: double [1e-3, 1e-2] log }\n");
  auto r = run({lagom_bin, "--data", d.path(), "run", script, "--nodes", "1",
                "--cpus-per-node", "2"}, "", 30s);
  INFO(r.output);
  CHECK(r.code != 0);
  CHECK(contains(r.output, "workers"));
  CHECK(contains(r.output, "a gang of 3"));
  CHECK(run_statuses(d.path(), "dpw").empty());
  auto zero = d.write("z.lagom", "search fashion_mnist_mlp workers=0 trials=2 "
                                 "space { lr: double [1e-3, 1e-2] log }\n");
  auto z = run({lagom_bin, "--data", d.path(), "run", zero});
  INFO(z.output);
  CHECK(z.code != 0);
  CHECK(contains(z.output, "z.lagom:1:"));
  CHECK(contains(z.output, "workers must be at least 1"));
}
