// Data-parallel jobs end to end with the real `lagom` binary: the MLP on two
// ranks (same result on both, rank 0's checkpoints only, per-rank logs, a
// timeline), ctx.all_reduce from a function, bad input naming the field, a
// rank that never joins the all-reduce (an error naming the rank and the
// collective), and kill -9 of one rank's worker process (the group restarts
// as a new generation from the checkpoint and completes). Bounded waits,
// driven by output.
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

std::string read_file(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

} // namespace

TEST_CASE("the MLP trains data-parallel on two ranks with one result", "[ddp]") {
  REQUIRE(fs::exists(dataset + "/train-images-idx3-ubyte.gz"));
  temp_dir d;
  auto script = d.write("d.lagom", "all_reduce fashion_mnist_mlp workers=2 epochs=2 "
                                   "train_limit=3000 timeline=true name=ddp-mlp\n");
  auto r = run({lagom_bin, "--data", d.path(), "run", script}, "", 120s);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(contains(r.output, "2 rank(s), backend shm, 1 generation(s)"));
  CHECK(std::regex_search(r.output, std::regex("epoch 2/2 .* samples/s  step ms by rank 0:[0-9.]+ 1:[0-9.]+")));
  // both ranks evaluate the same model: the same test accuracy
  std::smatch m;
  REQUIRE(std::regex_search(r.output, m, std::regex("   0  node-\\d .* test_accuracy=([0-9.]+)")));
  CHECK(contains(r.output.substr(m.position(0) + m.length(0)), "test_accuracy=" + m[1].str()));

  auto show = run({lagom_bin, "--data", d.path(), "show", "ddp-mlp"});
  INFO(show.output);
  CHECK(std::regex_search(show.output, std::regex("\n  0  finished")));
  CHECK(std::regex_search(show.output, std::regex("\n  1  finished")));
  // checkpoints by rank 0 only; logs tagged by rank
  CHECK(count_files(fs::path(d.path()) / "checkpoints" / "ddp-mlp" / "0", "ckpt-") == 2);
  CHECK(count_files(fs::path(d.path()) / "checkpoints" / "ddp-mlp" / "1", "ckpt-") == 0);
  auto logs = run({lagom_bin, "--data", d.path(), "logs", "ddp-mlp", "1"});
  CHECK(contains(logs.output, "[rank 1/2] epoch 2/2"));
  // the timeline: every rank's phases in one Chrome trace
  auto trace = read_file(fs::path(d.path()) / "timelines" / "ddp-mlp.json");
  CHECK(contains(trace, "{\"traceEvents\":["));
  CHECK(contains(trace, "\"name\":\"backward\",\"ph\":\"X\""));
  CHECK(contains(trace, "\"pid\":1,"));
  CHECK(contains(trace, "all_reduce bucket 0"));
}

TEST_CASE("a function's all_reduce and broadcast reach every rank", "[ddp]") {
  temp_dir d;
  auto script = d.write("p.lagom", "collective_all_reduce all_reduce_probe workers=3 name=probe\n");
  auto r = run({lagom_bin, "--data", d.path(), "run", script}, "", 60s);
  INFO(r.output);
  REQUIRE(r.code == 0);
  auto show = run({lagom_bin, "--data", d.path(), "show", "probe"});
  INFO(show.output);
  CHECK(contains(show.output, "sum=6 broadcast=42 world_size=3"));
}

TEST_CASE("bad all_reduce input is an error naming the field", "[ddp]") {
  temp_dir d;
  struct bad {
    const char* line;
    int code;
    const char* says;
  };
  for (const bad& b : {bad{"all_reduce fashion_mnist_mlp workers=0", 2, "b.lagom:1:38: workers must be an integer in [1, "},
                       bad{"all_reduce fashion_mnist_mlp workers=2 bucket_mb=0", 2,
                           "b.lagom:1:50: bucket_mb must be a number > 0"},
                       bad{"all_reduce fashion_mnist_mlp workers=2 bucket_mb=-0.5", 2,
                           "b.lagom:1:50: bucket_mb must be a number > 0"},
                       bad{"all_reduce fashion_mnist_mlp workers=2 backend=tcp", 2,
                           "b.lagom:1:48: backend must be auto, shm, gloo or nccl, got"},
                       bad{"all_reduce fashion_mnist_mlp workers=2 backend=nccl", 1,
                           "backend: nccl needs a GPU per rank"},
                       bad{"all_reduce fashion_mnist_mlp workers=2 min_workers=3", 2,
                           "min_workers=3 is more than workers=2"},
                       bad{"all_reduce fashion_mnist_mlp workers=2 gpus=1", 1,
                           "gpus: gpus=1 per rank, but no node has more than 0"},
                       bad{"all_reduce fashion_mnist_mlp workers=7", 1,
                           "workers: a gang of 7 rank(s) of 1 cpu(s) can never fit"}}) {
    auto script = d.write("b.lagom", std::string(b.line) + "\n");
    auto r = run({lagom_bin, "--data", d.path(), "run", script}, "", 60s);
    INFO(b.line << "\n" << r.output);
    CHECK(r.code == b.code);
    CHECK(contains(r.output, b.says));
  }
  // nothing was recorded by the rejected jobs
  auto list = run({lagom_bin, "--data", d.path(), "experiments"});
  CHECK_FALSE(contains(list.output, "fashion_mnist_mlp-"));
}

TEST_CASE("a rank that never joins the all-reduce ends the job naming the rank and the collective",
          "[ddp]") {
  temp_dir d;
  auto script = d.write("s.lagom", "all_reduce all_reduce_probe workers=2 skip=1 "
                                   "collective_timeout=1 name=stuck\n");
  auto t0 = std::chrono::steady_clock::now();
  auto r = run({lagom_bin, "--data", d.path(), "run", script}, "", 60s);
  INFO(r.output);
  CHECK(r.code == 1);
  CHECK(std::chrono::steady_clock::now() - t0 < 30s);
  CHECK(contains(r.output, "rank 0: "));
  CHECK(std::regex_search(r.output, std::regex("all_reduce[^\n]*waiting for rank(\\(s\\))? 1")));
  CHECK(contains(r.output, "1 generation(s)"));
}

TEST_CASE("kill -9 of one rank's worker restarts the group from the checkpoint", "[ddp][fault]") {
  REQUIRE(fs::exists(dataset + "/train-images-idx3-ubyte.gz"));
  temp_dir d;
  auto script = d.write("k.lagom", "all_reduce fashion_mnist_cnn workers=2 epochs=3 "
                                   "train_limit=768 report_every=2 collective_timeout=20 "
                                   "name=resilient\n");
  auto job = child_process::start({lagom_bin, "--data", d.path(), "run", script, "--nodes", "1",
                                   "--process-containers"});
  // The end of epoch 1 is printed after rank 0 saved its checkpoint.
  REQUIRE(job->wait_for("run 0 epoch 1/3", 120s));
  auto workers = children_of(job->pid());
  REQUIRE(workers.size() == 2);
  ::kill(workers[1], SIGKILL);
  auto code = job->wait_exit(180s);
  INFO(job->output());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(contains(job->output(), "worker process killed by signal 9"));
  CHECK(contains(job->output(), "restarting"));
  CHECK(contains(job->output(), "2 rank(s), backend shm, 2 generation(s)"));
  CHECK(contains(job->output(), "run 0 epoch 3/3"));
  auto logs = run({lagom_bin, "--data", d.path(), "logs", "resilient"});
  INFO(logs.output);
  CHECK(std::regex_search(logs.output, std::regex("\\[rank 1/2\\] attempt 2 resumed from epoch [12]")));
}

TEST_CASE("an elastic job runs with the ranks there are, re-sharded", "[ddp]") {
  temp_dir d;
  // one node of 2 cpus: 3 ranks never fit, 2 do (min_workers=2)
  auto script = d.write("e.lagom", "all_reduce all_reduce_probe workers=3 min_workers=2 "
                                   "name=elastic\n");
  auto r = run({lagom_bin, "--data", d.path(), "run", script, "--nodes", "1"}, "", 60s);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(contains(r.output, "2 rank(s), backend shm, 1 generation(s)"));
  auto show = run({lagom_bin, "--data", d.path(), "show", "elastic"});
  INFO(show.output);
  CHECK(contains(show.output, "sum=3 broadcast=42 world_size=2"));
  auto tight = d.write("t.lagom", "all_reduce all_reduce_probe workers=3 min_workers=3\n");
  auto no = run({lagom_bin, "--data", d.path(), "run", tight, "--nodes", "1"}, "", 60s);
  INFO(no.output);
  CHECK(no.code == 1);
  CHECK(contains(no.output, "min_workers: a gang of 3 rank(s)"));
}
