// The `lagom` binary's faces on an embedded cluster: the main job
// (examples/hello.lagom), the shell fed through a pipe, and every kind of
// bad input: unknown command or flag, missing file, bad script line. Bad
// input exits 2 naming what and where; a failure at run time exits 1.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <regex>

#include "child_process.hpp"

using namespace lagom::test;

namespace {

const std::string lagom_bin = LAGOM_BINARY;
const std::string source_dir = LAGOM_SOURCE_DIR;

// This test process's data directory: every lagom here gets --data, so the
// tests never touch ~/.lagom (the embedding example gets LAGOM_HOME).
const std::string& data_dir() {
  static temp_dir d;
  return d.path();
}

run_result lagom_cli(std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), {lagom_bin, "--data", data_dir()});
  return run(args, input);
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1))
    ++n;
  return n;
}

} // namespace

TEST_CASE("the main job says hello from every container of the embedded cluster", "[cli]") {
  auto r = lagom_cli({"run", source_dir + "/examples/hello.lagom"});
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(r.output.find("embedded cluster: 3 node(s)") != std::string::npos);
  CHECK(count(r.output, "Hello from cpu on node-") == 6); // 3 nodes x 2 cpus
  CHECK(std::regex_search(r.output, std::regex("RUN +NODE +CONTAINER +CPUS +GPUS +DEVICE")));
}

TEST_CASE("the embedded cluster's size follows the flags", "[cli]") {
  temp_dir d;
  auto script = d.write("s.lagom", "launch hello_gpu on all cpus=2\n");
  auto r = lagom_cli({"run", script, "--nodes", "2", "--cpus-per-node", "4"});
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(count(r.output, "Hello from cpu") == 4); // 8 cpus / 2 per container
}

TEST_CASE("hyperparameters reach the function and results come back", "[cli]") {
  temp_dir d;
  auto script = d.write("p.lagom", "launch echo on 2 lr=0.001 opt=adam label=\"a b\"\n");
  auto r = lagom_cli({"run", script});
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(count(r.output, "lr=0.001 opt=adam label=a b") == 2);
}

TEST_CASE("bad input is refused naming what and where, with exit code 2", "[cli]") {
  temp_dir d;
  SECTION("unknown subcommand, with a suggestion") {
    auto r = lagom_cli({"sttaus"});
    CHECK(r.code == 2);
    CHECK(r.output.find("unknown command 'sttaus'; did you mean 'status'?") != std::string::npos);
  }
  SECTION("unknown flag") {
    auto r = lagom_cli({"run", "x.lagom", "--nodez", "3"});
    CHECK(r.code == 2);
    CHECK(r.output.find("--nodez") != std::string::npos);
  }
  SECTION("flag value out of range") {
    auto r = lagom_cli({"run", "x.lagom", "--nodes", "0"});
    CHECK(r.code == 2);
    CHECK(r.output.find("--nodes") != std::string::npos);
  }
  SECTION("missing script file") {
    auto r = lagom_cli({"run", d.path() + "/nope.lagom"});
    CHECK(r.code == 2);
    CHECK(r.output.find("cannot open " + d.path() + "/nope.lagom") != std::string::npos);
  }
  SECTION("a bad line is reported as file:line:col before anything runs") {
    auto script = d.write("bad.lagom", "status\nlaunch hello_gpu on 2\nlanch hello_gpu\n");
    auto r = lagom_cli({"run", script});
    INFO(r.output);
    CHECK(r.code == 2);
    CHECK(r.output.find(script + ":3:1: unknown command 'lanch'; did you mean 'launch'?")
          != std::string::npos);
    CHECK(r.output.find("Hello from") == std::string::npos); // nothing ran
  }
  SECTION("a bad value names its key") {
    auto script = d.write("val.lagom", "launch hello_gpu on 2 cpus=x\n");
    auto r = lagom_cli({"run", script});
    CHECK(r.code == 2);
    CHECK(r.output.find(script + ":1:") != std::string::npos);
    CHECK(r.output.find("cpus") != std::string::npos);
  }
  SECTION("a bad --log-level") {
    auto r = lagom_cli({"--log-level", "loud", "functions"});
    CHECK(r.code == 2);
    CHECK(r.output.find("--log-level loud") != std::string::npos);
  }
}

TEST_CASE("a command that fails at run time stops the script with file:line, exit 1", "[cli]") {
  temp_dir d;
  SECTION("an unknown function is refused before any container is granted") {
    auto script = d.write("f.lagom", "status\nlaunch no_such_fn on 2\nlaunch hello_gpu\n");
    auto r = lagom_cli({"run", script});
    INFO(r.output);
    CHECK(r.code == 1);
    CHECK(r.output.find(script + ":2:1: ") != std::string::npos);
    CHECK(r.output.find("unknown function 'no_such_fn'") != std::string::npos);
    CHECK(r.output.find("Hello from") == std::string::npos);
  }
  SECTION("a function that throws is reported with its message") {
    auto script = d.write("t.lagom", "launch fail on 2 message=\"disk on fire\"\n");
    auto r = lagom_cli({"run", script});
    INFO(r.output);
    CHECK(r.code == 1);
    CHECK(count(r.output, "FAILED: fail: disk on fire") == 2);
    CHECK(r.output.find("2 of 2 container(s) failed") != std::string::npos);
  }
}

TEST_CASE("the shell runs piped lines, reports bad ones and goes on", "[cli][shell]") {
  auto r = lagom_cli({"shell", "--nodes", "2"},
                 "help\nstatus\nlaunch echo on 1 x=1\nbogus line\nlaunch hello_gpu on 1\nquit\n"
                 "launch hello_gpu on 1\n");
  INFO(r.output);
  CHECK(r.code == 1); // one bad line
  CHECK(r.output.find("Start function FN") != std::string::npos);      // help
  CHECK(r.output.find("embedded cluster: 2 node(s)") != std::string::npos);
  CHECK(r.output.find("<shell>:4:1: unknown command 'bogus'") != std::string::npos);
  CHECK(count(r.output, "Hello from cpu") == 1);                      // stops at quit
}

TEST_CASE("functions lists what this binary can run", "[cli]") {
  auto r = lagom_cli({"functions"});
  CHECK(r.code == 0);
  CHECK(r.output.find("hello_gpu\n") != std::string::npos);
  CHECK(r.output.find("sleep\n") != std::string::npos);
}

TEST_CASE("the embedding example builds and runs", "[cli][embed]") {
  ::setenv("LAGOM_HOME", data_dir().c_str(), 1);  // its embedded cluster's data
  auto r = run({LAGOM_EMBED_EXAMPLE});
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(count(r.output, "Hello from cpu on node-") == 4);
  CHECK(r.output.find("on node-1") != std::string::npos);
  CHECK(r.output.find("on node-2") != std::string::npos);
}

TEST_CASE("with process containers a crashing function costs its container only", "[cli]") {
  temp_dir d;
  auto script = d.write("c.lagom", "launch crash on 3 rank=1\nlaunch hello_gpu on 2\n");
  auto r = lagom_cli({"run", script, "--process-containers", "--nodes", "1",
                      "--cpus-per-node", "3"});
  INFO(r.output);
  CHECK(r.code == 1);
  CHECK(r.output.find("worker process killed by signal 6 (Aborted)") != std::string::npos);
  CHECK(r.output.find("survived") != std::string::npos);  // the others' metric column
  // A lost worker is restarted (max_restarts 3), then the run gives up.
  CHECK(r.output.find("after 3 restart(s)") != std::string::npos);
  CHECK(r.output.find(script + ":1:1") != std::string::npos);
}

TEST_CASE("process containers run the main job too", "[cli]") {
  auto r = lagom_cli({"run", source_dir + "/examples/hello.lagom", "--process-containers"});
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(count(r.output, "Hello from cpu on node-") == 6);
}

TEST_CASE("hyperparameters are checked against the function's spec before launch", "[cli]") {
  temp_dir d;
  struct bad_case {
    const char* line;
    const char* message;
  };
  auto c = GENERATE(bad_case{"launch sleep mss=5", "sleep: mss: unknown hyperparameter; did you mean 'ms'?"},
                    bad_case{"launch sleep ms=abc", "sleep: ms: must be a number, got 'abc'"},
                    bad_case{"launch sleep ms=-5", "sleep: ms: must be within [0, 86400000], got -5"},
                    bad_case{"launch crash rank=1.5", "crash: rank: must be an integer, got 1.5"},
                    bad_case{"launch hello_gpu lr=1", "hello_gpu: lr: unknown hyperparameter"});
  auto script = d.write("h.lagom", std::string(c.line) + "\n");
  auto r = lagom_cli({"run", script});
  INFO(r.output);
  CHECK(r.code == 1);
  CHECK(r.output.find(script + ":1:1: " + c.message) != std::string::npos);
  CHECK(r.output.find("CONTAINER") == std::string::npos); // nothing was granted
}
