// Hyperparameter search end to end with the real `lagom` binary: a search
// records its trial table and writes its plots; a trial that throws fails
// alone; bad input is named with file:line:col and nothing is stored; a
// worker process killed with -9 mid-search costs a retry, not a trial; and a
// search whose driver (and embedded head) was killed with -9 is resumed with
// `lagom resume` without running any finished trial again; an ASHA
// promotion continues from its parent trial's checkpoint. Waits are bounded
// and driven by output.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <chrono>
#include <set>
#include <sstream>

#include "child_process.hpp"

using namespace lagom::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string lagom_bin = LAGOM_BINARY;

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

// The trials a search's `objective trace=FILE` started: (run, attempt, pid).
struct trial_start {
  int run = 0, attempt = 0, pid = 0;
};
std::vector<trial_start> trace_lines(const std::string& trace) {
  std::ifstream in(trace);
  std::vector<trial_start> out;
  std::string line;
  trial_start t;
  while (std::getline(in, line))
    if (std::sscanf(line.c_str(), "run %d attempt %d pid %d", &t.run, &t.attempt, &t.pid) == 3)
      out.push_back(t);
  return out;
}

// Runs `script` (its objective writing `trace`) on an embedded cluster of 2
// nodes with process containers, sends `sig` to the worker process of the
// first trial as soon as that trial started (bounded), and waits for the run
// to end (code -1: it did not end in time).
run_result run_signalling_a_worker(const temp_dir& d, const std::string& script,
                                   const std::string& trace, int sig) {
  auto p = child_process::start({lagom_bin, "--data", d.path(), "run", script,
                                 "--process-containers", "--nodes", "2"});
  std::vector<trial_start> started;
  // 60 s at most: a sanitized build on a loaded machine took over 10 s to
  // start its first trial's worker process.
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (started.empty() && std::chrono::steady_clock::now() < deadline) {
    p->wait_for("never printed", 5ms);
    started = trace_lines(trace);
  }
  INFO(p->output());
  REQUIRE(!started.empty());
  REQUIRE(started.front().pid != p->pid());
  ::kill(started.front().pid, sig);
  auto code = p->wait_exit(60s);
  return {code.value_or(-1), p->output()};
}

const char* space = "space { x: double [-3, 3]; y: double [-4, 0]; opt: categorical [a, b] }";

// Runs `search objective <args> <space>` as a script on an embedded cluster.
run_result run_search(const temp_dir& d, const std::string& args) {
  auto script = d.write("s.lagom", "search objective " + args + " " + space + "\n");
  return run({lagom_bin, "--data", d.path(), "run", script});
}

} // namespace

TEST_CASE("a search runs its trials, records the table and writes its plots", "[search]") {
  temp_dir d;
  auto r = run_search(d, "optimizer=random trials=12 metric=score name=s1 steps=3");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(contains(r.output, "search s1: 12 trials, 12 finished, 0 stopped early, 0 failed"));
  CHECK(contains(r.output, "best:    trial "));
  auto runs = run_statuses(d.path(), "s1");
  CHECK(runs.size() == 12);
  for (auto& [id, s] : runs)
    CHECK(s == "finished");
  CHECK(fs::file_size(d.path() + "/plots/s1/optimization_history.png") > 1000);
  CHECK(fs::file_size(d.path() + "/plots/s1/parallel_coordinates.png") > 1000);
  auto list = run({lagom_bin, "--data", d.path(), "experiments"});
  CHECK(std::regex_search(list.output, std::regex(R"(s1\s+search\s+objective\s+finished\s+12)")));
}

TEST_CASE("a trial that throws is failed with its message, the search goes on", "[search]") {
  temp_dir d;
  auto r = run_search(d, "optimizer=tpe trials=16 metric=score name=s2 fail_above=0");
  INFO(r.output);
  REQUIRE(r.code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(r.output, m,
                            std::regex(R"(16 trials, (\d+) finished, 0 stopped early, (\d+) failed)")));
  CHECK(std::stoi(m[1]) + std::stoi(m[2]) == 16);
  CHECK(std::stoi(m[2]) > 0);
  CHECK(std::stoi(m[1]) > 0);
  CHECK(contains(r.output, "is above fail_above"));
  auto runs = run_statuses(d.path(), "s2");
  CHECK(runs.size() == 16);
}

TEST_CASE("the median rule stops poor trials while they run", "[search]") {
  temp_dir d;
  auto r = run_search(d, "optimizer=random trials=12 containers=1 metric=score name=s6 "
                        "steps=20 step_ms=5 early_stopping=median es_min=3");
  INFO(r.output);
  REQUIRE(r.code == 0);
  std::smatch m;
  REQUIRE(std::regex_search(r.output, m, std::regex(R"(12 trials, (\d+) finished, (\d+) stopped early)")));
  CHECK(std::stoi(m[1]) + std::stoi(m[2]) == 12);
  CHECK(std::stoi(m[2]) > 0);
  // The decision reached the functions: stopped trials did not run their 20
  // steps of 5 ms (100 ms); the worst ones stop after a step or two.
  std::regex row(R"(\n\s*\d+\s+stopped_early\s+\S+\s+\d+\s+\S+\s+(\d+) ms)");
  int rows = 0, quick = 0;
  for (std::sregex_iterator i(r.output.begin(), r.output.end(), row), end; i != end; ++i) {
    ++rows;
    quick += std::stoi((*i)[1]) < 50 ? 1 : 0;
  }
  CHECK(rows == std::stoi(m[2]));
  CHECK(quick > 0);
  auto runs = run_statuses(d.path(), "s6");
  CHECK(runs.size() == 12);
}

TEST_CASE("bad search input is named, exits non-zero and stores nothing", "[search]") {
  temp_dir d;
  struct bad_case {
    std::string line;
    int code;
    std::string says;
  };
  std::vector<bad_case> cases = {
    {"search objective trials=4 space { x: double [3, -3] }", 2, "b.lagom:1:45: x: "},
    {"search objective trials=4 space { x: double [0, 1] log }", 2, "x: "},
    {"search objective trials=4 space { x: doubel [0, 1] }", 2, "did you mean 'double'"},
    {"search objective trials=4 space { }", 2, "the space is empty"},
    {"search objective trials=4 direction=up space { x: double [0, 1] }", 2,
     "direction must be max or min"},
    {"search objective trials=4 optimizer=tpee metric=score space { x: double [0, 1] }", 1,
     "did you mean 'tpe'"},
    {"search objective trials=4 metric=score space { z: double [0, 1] }", 1, "z"},
    {"search objective trials=4 metric=score early_stopping=medain space { x: double [0, 1] }",
     1, "did you mean 'median'"},
    {"search nosuchfn trials=4 space { x: double [0, 1] }", 1, "nosuchfn"},
    {"search fashion_mnist_mlp trials=4 metric=accuracy optimizer=asha "
     "space { lr: double [0.001, 0.01] }",
     1, "fashion_mnist_mlp: resource: the optimizer gives each trial its budget in "
        "hyperparameter 'budget', which 'fashion_mnist_mlp' does not take; set resource= to one "
        "of its integer hyperparameters (epochs, batch_size"},
  };
  for (auto& c : cases) {
    auto script = d.write("b.lagom", c.line + "\n");
    auto r = run({lagom_bin, "--data", d.path(), "run", script});
    INFO(c.line << "\n" << r.output);
    CHECK(r.code == c.code);
    CHECK(contains(r.output, c.says));
  }
  auto list = run({lagom_bin, "--data", d.path(), "experiments"});
  CHECK(contains(list.output, "no experiments yet"));
}

TEST_CASE("a worker process killed with -9 mid-search costs a retry, not a trial",
          "[search][fault]") {
  temp_dir d;
  std::string trace = d.path() + "/trace.txt";
  auto script = d.write("s.lagom", "search objective optimizer=random trials=8 metric=score "
                                   "name=s3 steps=20 step_ms=25 trace=\"" + trace + "\" " +
                                     space + "\n");
  auto r = run_signalling_a_worker(d, script, trace, SIGKILL);
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(contains(r.output, "search s3: 8 trials, 8 finished, 0 stopped early, 0 failed, 1 retried"));
  CHECK(contains(r.output, "killed by signal 9"));
  auto runs = run_statuses(d.path(), "s3");
  CHECK(runs.size() == 8);
  for (auto& [id, s] : runs)
    CHECK(s == "finished");
}

TEST_CASE("a frozen worker is a straggler: its trial is retried elsewhere", "[search][fault]") {
  temp_dir d;
  std::string trace = d.path() + "/trace.txt";
  auto script = d.write("s.lagom", "search objective optimizer=random trials=4 metric=score "
                                   "name=s5 steps=10 step_ms=30 heartbeat_timeout=0.8 trace=\"" +
                                     trace + "\" " + space + "\n");
  auto r = run_signalling_a_worker(d, script, trace, SIGSTOP);
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(contains(r.output, "straggler: no heartbeat for 800 ms"));
  CHECK(contains(r.output, "search s5: 4 trials, 4 finished, 0 stopped early, 0 failed, 1 retried"));
  auto runs = run_statuses(d.path(), "s5");
  CHECK(runs.size() == 4);
  for (auto& [id, s] : runs)
    CHECK(s == "finished");
}

TEST_CASE("a search whose driver was killed resumes without rerunning finished trials",
          "[search][fault]") {
  temp_dir d;
  std::string trace = d.path() + "/trace.txt";
  auto script = d.write("s.lagom", "search objective optimizer=tpe trials=40 containers=2 "
                                   "metric=score name=s4 steps=4 step_ms=25 trace=\"" +
                                     trace + "\" " + space + "\n");
  auto p = child_process::start({lagom_bin, "--data", d.path(), "run", script});
  REQUIRE(p->wait_for("  finished 8  ", 60s));
  // The driver stores the trial table in batches: kill once the registry
  // holds 3 finished trials (once, on a loaded CI machine, it held 2 when the
  // driver had printed 8).
  auto stored_finished = [&] {
    std::set<int> out;
    for (auto& [id, s] : run_statuses(d.path(), "s4"))
      if (s == "finished")
        out.insert(id);
    return out;
  };
  REQUIRE(wait_until([&] { return stored_finished().size() >= 3; }, 30s));
  p->signal(SIGKILL);
  p->wait_exit(10s);
  // The last batch of the trial table may not have been stored: at most the
  // changes of the last moments are lost (those trials run again).
  std::set<int> done = stored_finished();
  REQUIRE(done.size() >= 3);
  REQUIRE(done.size() < 40);  // 40 trials leave ~2 s to land the kill, even on a loaded machine

  auto r = run({lagom_bin, "--data", d.path(), "resume", "s4"});
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(contains(r.output, "search s4: 40 trials, 40 finished"));
  auto after = run_statuses(d.path(), "s4");
  CHECK(after.size() == 40);
  for (auto& [id, s] : after)
    CHECK(s == "finished");
  // Every trial finished before the kill ran exactly once.
  std::map<int, int> starts;
  for (auto& t : trace_lines(trace))
    ++starts[t.run];
  for (int r : done) {
    INFO("run " << r);
    CHECK(starts[r] == 1);
  }
  CHECK(starts.size() == 40);
}

TEST_CASE("an ASHA promotion goes on from its parent trial's checkpoint", "[search]") {
  // Budgets 1, 2, 4; one container, so the promotions come in a known
  // pattern (the 3rd trial is one). Both container modes: the parent travels
  // in the launch frame to a thread or to a worker process.
  const bool processes = GENERATE(false, true);
  temp_dir d;
  std::string trace = d.path() + "/trace.txt";
  auto script = d.write("s.lagom", "search checkpointed optimizer=asha trials=10 containers=1 "
                                   "resource=budget metric=score name=a1 trace=\"" +
                                     trace + "\" space { x: double [-3, 3] }\n");
  std::vector<std::string> argv{lagom_bin, "--data", d.path(), "run", script};
  if (processes)
    argv.push_back("--process-containers");
  auto r = run(argv);
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(contains(r.output, "search a1: 10 trials, 10 finished"));
  struct line {
    int parent;
    unsigned budget, from, trained;
  };
  std::map<unsigned, line> runs;
  std::ifstream in(trace);
  std::string w;
  unsigned id = 0;
  line l{};
  while (in >> w >> id >> w >> l.parent >> w >> l.budget >> w >> l.from >> w >> l.trained)
    runs[id] = l;
  REQUIRE(runs.size() == 10);
  int promoted = 0, to_four = 0;
  for (auto& [run_id, x] : runs) {
    INFO("run " << run_id << " parent " << x.parent << " budget " << x.budget << " from "
                << x.from << " trained " << x.trained);
    if (x.parent < 0) {  // a new configuration trains its budget from scratch
      CHECK(x.budget == 1);
      CHECK(x.from == 0);
      CHECK(x.trained == 1);
      continue;
    }
    ++promoted;
    to_four += x.budget == 4 ? 1 : 0;
    REQUIRE(runs.count(static_cast<unsigned>(x.parent)) == 1);
    const line& p = runs[static_cast<unsigned>(x.parent)];
    CHECK(static_cast<unsigned>(x.parent) < run_id);
    CHECK(x.budget == 2 * p.budget);
    CHECK(x.from == p.budget);  // the parent's newest checkpoint: its last step
    CHECK(x.trained == x.budget - p.budget);
  }
  CHECK(promoted >= 3);
  CHECK(to_four >= 1);
}
