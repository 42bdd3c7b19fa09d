// lagom under a real Slurm: tests/slurm/slurm_cluster.sh starts munged,
// slurmctld and three slurmd (pretend nodes n1..n3 on 127.0.0.1) under a
// temporary directory; `lagom slurm submit` runs examples/hello.lagom as one
// sbatch job (head on the batch host, a node per host through srun); a job
// cancelled with scancel stops everything it started; a node whose step is
// cancelled mid-run is a lost node whose run restarts on another. Exactly the
// daemons started here are stopped (by pid), also when a check fails. Where
// Slurm cannot start (not installed, not root) the test says SKIP and why.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child_process.hpp"

using namespace lagom::test;
using namespace std::chrono;
namespace fs = std::filesystem;

namespace {

const std::string lagom_bin = LAGOM_BINARY;
const std::string source_dir = LAGOM_SOURCE_DIR;
const std::string helper = source_dir + "/tests/slurm/slurm_cluster.sh";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1))
    ++n;
  return n;
}

// A TCP port held bound (SO_REUSEADDR, not listening) until release(), so
// that no one else takes it while the daemon it is meant for starts; the
// daemon binds it too (Slurm sets SO_REUSEADDR) and listens.
struct held_port {
  int fd = -1;
  unsigned port = 0;
  held_port() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  void release() {
    if (fd >= 0)
      ::close(fd);
    fd = -1;
  }
  ~held_port() { release(); }
};

// The cluster: started in the constructor, stopped (the pids it started) in
// the destructor, whatever the test did in between.
class slurm_cluster {
public:
  slurm_cluster() {
    // munged wants every folder above its socket traversable by all.
    fs::permissions(dir_.path(), fs::perms(0755));
    held_port ctld, p1, p2, p3;
    auto r = run({helper, "start", dir_.path() + "/slurm", std::to_string(ctld.port),
                  std::to_string(p1.port), std::to_string(p2.port), std::to_string(p3.port)},
                 "", seconds(40));
    output_ = r.output;
    if (r.code == 3) {
      skip_ = r.output.substr(0, r.output.find('\n'));
      return;
    }
    started_ = r.code == 0;
  }
  ~slurm_cluster() {
    auto r = run({helper, "stop", dir_.path() + "/slurm"}, "", seconds(20));
    if (r.code != 0)
      std::fprintf(stderr, "slurm_test: stopping the daemons: %s\n", r.output.c_str());
  }
  const std::string& skip_reason() const { return skip_; }
  bool started() const { return started_; }
  const std::string& output() const { return output_; }
  std::string conf() const { return dir_.path() + "/slurm/slurm.conf"; }
  std::string data() const { return dir_.path() + "/data"; }
  std::string path() const { return dir_.path(); }

  // A command with SLURM_CONF pointing at this cluster.
  run_result cmd(std::vector<std::string> argv, milliseconds timeout = seconds(30)) const {
    argv.insert(argv.begin(), {"/usr/bin/env", "SLURM_CONF=" + conf()});
    return run(argv, "", timeout);
  }
  run_result lagom(std::vector<std::string> args, milliseconds timeout = seconds(30)) const {
    args.insert(args.begin(), {lagom_bin, "--data", data()});
    return cmd(args, timeout);
  }
  std::string job_file(const std::string& job, const std::string& name) const {
    return data() + "/slurm/job-" + job + "/" + name;
  }

private:
  temp_dir dir_;
  std::string skip_, output_;
  bool started_ = false;
};

std::string submitted_job(const run_result& r) {
  std::smatch m;
  REQUIRE(std::regex_search(r.output, m, std::regex("submitted slurm job ([0-9]+)")));
  return m[1];
}

// Processes whose command line mentions `needle` (the test's data directory).
std::vector<std::string> processes_with(const std::string& needle) {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator("/proc")) {
    auto name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos ||
        name == std::to_string(::getpid()))
      continue;
    std::string cmdline = read_file(e.path().string() + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(needle) != std::string::npos && cmdline.find("slurm_cluster.sh") == std::string::npos)
      out.push_back(name + ": " + cmdline);
  }
  return out;
}

bool job_left_queue(const slurm_cluster& c, const std::string& job) {
  auto q = c.cmd({"squeue", "-h", "-j", job});
  return q.code == 0 && q.output.find_first_not_of(" \n") == std::string::npos;
}

#define SLURM_OR_SKIP(c)                                                              \
  if (!(c).skip_reason().empty()) {                                                   \
    WARN("SKIP: Slurm cannot start here: " << (c).skip_reason());                     \
    return;                                                                           \
  }                                                                                   \
  INFO((c).output());                                                                 \
  REQUIRE((c).started())

} // namespace

TEST_CASE("lagom slurm submit runs hello on 3 Slurm nodes and ends cleanly", "[slurm]") {
  slurm_cluster c;
  SLURM_OR_SKIP(c);
  auto t0 = steady_clock::now();
  auto sub = c.lagom({"slurm", "submit", source_dir + "/examples/hello.lagom", "--nodes", "3",
                      "--cpus-per-node", "2", "--time", "5"});
  INFO(sub.output);
  REQUIRE(sub.code == 0);
  auto job = submitted_job(sub);
  const std::string log = c.data() + "/slurm/job-" + job + ".log";

  REQUIRE(wait_until([&] { return read_file(log).find("launching") != std::string::npos; },
                     seconds(60)));
  auto to_launch = duration_cast<milliseconds>(steady_clock::now() - t0).count();
  REQUIRE(wait_until([&] { return read_file(c.job_file(job, "state")).rfind("finished", 0) == 0; },
                     seconds(60)));
  auto to_end = duration_cast<milliseconds>(steady_clock::now() - t0).count();
  std::printf("slurm_test: submit -> first launch %lld ms, -> job's script done %lld ms\n",
              static_cast<long long>(to_launch), static_cast<long long>(to_end));
  auto out = read_file(log);
  INFO(out);
  CHECK(read_file(c.job_file(job, "state")) == "finished 0\n");
  CHECK(out.find("3 node(s) joined") != std::string::npos);
  for (auto n : {"n1", "n2", "n3"}) {
    CHECK(count(out, std::string("Hello from cpu on ") + n + ",") == 2);
    auto node_log = read_file(c.job_file(job, std::string("node-") + n + ".log"));
    INFO(node_log);
    CHECK(node_log.find(std::string("lagom node ") + n + ": slurm job " + job) != std::string::npos);
    CHECK(node_log.find("with 2 cpus") != std::string::npos);
    CHECK(fs::is_directory(c.data() + "/nodes/" + n));
  }
  CHECK(count(out, "Hello from cpu on n") == 6);
  CHECK(read_file(c.job_file(job, "job.env")).find("SLURM_JOB_ID=" + job) != std::string::npos);

  // Everything ends: the job leaves the queue, no process of it remains.
  CHECK(wait_until([&] { return job_left_queue(c, job); }, seconds(20)));
  CHECK(wait_until([&] { return processes_with(c.data()).empty(); }, seconds(20)));
  INFO(processes_with(c.data()).size());

  auto st = c.lagom({"slurm", "status", job});
  INFO(st.output);
  CHECK(st.code == 0);
  CHECK(st.output.find("slurm job " + job + ": lagom-hello, COMPLETED") != std::string::npos);
  auto unknown = c.lagom({"slurm", "status", "987654"});
  INFO(unknown.output);
  CHECK(unknown.code == 1);
  CHECK(unknown.output.find("job 987654: unknown to Slurm and no ") != std::string::npos);
  CHECK(st.output.find("lagom: finished 0") != std::string::npos);
}

TEST_CASE("scancel stops the script, the nodes and the head of a lagom job", "[slurm]") {
  slurm_cluster c;
  SLURM_OR_SKIP(c);
  temp_dir d;
  // Training that checkpoints every step, into the shared data directory.
  auto script = d.write("hold.lagom", "launch checkpointed on 3 spread budget=1000000 step_ms=20 "
                                      "name=held\n");
  auto sub = c.lagom({"slurm", "submit", script, "--nodes", "3"});
  INFO(sub.output);
  REQUIRE(sub.code == 0);
  auto job = submitted_job(sub);
  const std::string log = c.data() + "/slurm/job-" + job + ".log";
  REQUIRE(wait_until([&] { return read_file(c.job_file(job, "state")) == "running\n"; },
                     seconds(60)));
  auto addr = read_file(c.job_file(job, "head.addr"));
  addr.pop_back();
  auto token = read_file(c.job_file(job, "token"));
  REQUIRE(!token.empty());
  token.pop_back();
  auto wait = c.lagom({"status", "--connect", addr, "--token", token, "--wait-running", "3",
                       "--wait-ms", "20000"});
  INFO(wait.output);
  REQUIRE(wait.code == 0);
  auto st = c.lagom({"slurm", "status", job});
  INFO(st.output);
  CHECK(st.output.find("RUNNING") != std::string::npos);
  CHECK(st.output.find("lagom: running, head " + addr) != std::string::npos);
  CHECK(count(st.output, "n1") + count(st.output, "n2") + count(st.output, "n3") >= 3);

  // Every run has a checkpoint, staged by its node in the shared directory.
  auto checkpoints_of = [&](int run) {
    std::error_code ec;
    size_t n = 0;
    for (auto& f : fs::directory_iterator(c.data() + "/checkpoints/held/" + std::to_string(run), ec))
      n += f.path().extension() == ".lgck";
    return n;
  };
  REQUIRE(wait_until([&] { return checkpoints_of(0) && checkpoints_of(1) && checkpoints_of(2); },
                     seconds(20)));

  auto t0 = steady_clock::now();
  auto cancel = c.cmd({"scancel", job});
  REQUIRE(cancel.code == 0);
  CHECK(wait_until([&] { return processes_with(c.data()).empty(); }, seconds(30)));
  auto stopped_ms = duration_cast<milliseconds>(steady_clock::now() - t0).count();
  CHECK(wait_until([&] { return job_left_queue(c, job); }, seconds(30)));
  auto left = processes_with(c.data());
  INFO(left.size());
  CHECK(left.empty());
  std::printf("slurm_test: scancel of job %s -> every lagom process gone in %lld ms\n",
              job.c_str(), static_cast<long long>(stopped_ms));
  auto out = read_file(log);
  INFO(out);
  CHECK(out.find("cancelled (SIGTERM)") != std::string::npos);
  CHECK(read_file(c.job_file(job, "state")) == "cancelled\n");
  // The registry in the shared data directory: the runs were cancelled, the
  // experiment stopped, and their checkpoints are still there.
  auto show = c.lagom({"show", "held"});
  INFO(show.output);
  REQUIRE(show.code == 0);
  CHECK(count(show.output, "cancelled") >= 3);
  CHECK(show.output.find("stopped") != std::string::npos);
  CHECK(show.output.find("running") == std::string::npos);
  for (int run = 0; run < 3; ++run)
    CHECK(checkpoints_of(run) > 0);
}

TEST_CASE("a submit with bad input is refused before Slurm sees it", "[slurm]") {
  temp_dir d;
  auto bad = d.write("bad.lagom", "lanch hello_gpu\n");
  auto r = run({lagom_bin, "--data", d.path() + "/data", "slurm", "submit", bad, "--nodes", "2"});
  INFO(r.output);
  CHECK(r.code == 2);
  CHECK(r.output.find("bad.lagom:1:1: unknown command 'lanch'") != std::string::npos);
  auto t = run({lagom_bin, "--data", d.path() + "/data", "slurm", "submit", bad, "--time", "1h"});
  CHECK(t.code == 2);
  CHECK(t.output.find("--time: '1h'") != std::string::npos);
  CHECK_FALSE(fs::exists(d.path() + "/data/slurm"));
  auto j = run({lagom_bin, "--data", d.path() + "/data", "slurm", "status", "12x"});
  CHECK(j.code == 2);
  CHECK(j.output.find("'12x': expected a Slurm job id") != std::string::npos);
  auto n = run({lagom_bin, "node", "--join", "slurm"});
  CHECK(n.code == 2);
  CHECK(n.output.find("SLURMD_NODENAME: not set") != std::string::npos);
}

TEST_CASE("a node whose Slurm step is cancelled mid-run is lost and its run restarts on another", "[slurm]") {
  slurm_cluster c;
  SLURM_OR_SKIP(c);
  temp_dir d;
  auto script = d.write("train.lagom", "launch fashion_mnist_mlp epochs=30 train_limit=4000 "
                                       "report_every=10 name=moved\n");
  auto sub = c.lagom({"slurm", "submit", script, "--nodes", "3"});
  INFO(sub.output);
  REQUIRE(sub.code == 0);
  auto job = submitted_job(sub);
  const std::string log = c.data() + "/slurm/job-" + job + ".log";
  REQUIRE(wait_until([&] { return read_file(c.job_file(job, "state")) == "running\n"; },
                     seconds(60)));
  auto addr = read_file(c.job_file(job, "head.addr"));
  addr.pop_back();
  auto token = read_file(c.job_file(job, "token"));
  REQUIRE(!token.empty());
  token.pop_back();

  // The run's node, from the head's registry.
  std::string first_node;
  auto show = [&] { return c.lagom({"show", "moved", "--connect", addr, "--token", token}).output; };
  REQUIRE(wait_until([&] {
    std::smatch m;
    auto out = show();
    if (!std::regex_search(out, m, std::regex("\n +0 +running +(n[123]) +1 ")))
      return false;
    first_node = m[1];
    return true;
  }, seconds(30)));
  // Its Slurm step, from squeue.
  auto steps = c.cmd({"squeue", "-h", "-s", "-j", job, "-o", "%i %N"});
  INFO(steps.output);
  std::smatch m;
  REQUIRE(std::regex_search(steps.output, m, std::regex("(" + job + "\\.[0-9]+) " + first_node)));
  const std::string step = m[1];

  // Past its first epoch, so a checkpoint exists to go on from.
  REQUIRE(wait_until([&] { return read_file(log).find("run 0 epoch 2/30") != std::string::npos; },
                     seconds(30)));
  auto t0 = steady_clock::now();
  REQUIRE(c.cmd({"scancel", step}).code == 0);
  std::string second_node;
  REQUIRE(wait_until([&] {
    std::smatch r;
    auto out = show();
    // Running again, or (a fast remainder) already finished, on its second attempt.
    if (!std::regex_search(out, r, std::regex("\n +0 +(running|finished) +(n[123]) +2 ")))
      return false;
    second_node = r[2];
    return true;
  }, seconds(30)));
  auto to_restart = duration_cast<milliseconds>(steady_clock::now() - t0).count();
  std::printf("slurm_test: step %s of %s cancelled -> run restarted on %s in %lld ms\n",
              step.c_str(), first_node.c_str(), second_node.c_str(),
              static_cast<long long>(to_restart));
  CHECK(second_node != first_node);

  REQUIRE(wait_until([&] { return read_file(c.job_file(job, "state")).rfind("finished", 0) == 0; },
                     seconds(90)));
  auto out = read_file(log);
  INFO(out);
  CHECK(read_file(c.job_file(job, "state")) == "finished 0\n");
  // The second attempt went on from a checkpoint: its first epoch is not 1.
  auto restart_at = out.find("restarting");
  REQUIRE(restart_at != std::string::npos);
  std::smatch e;
  auto after = out.substr(restart_at);
  REQUIRE(std::regex_search(after, e, std::regex("run 0 epoch ([0-9]+)/30")));
  CHECK(std::stoi(e[1]) > 1);
  auto final_show = c.lagom({"show", "moved"});  // the registry in the data directory
  INFO(final_show.output);
  CHECK(std::regex_search(final_show.output,
                          std::regex("\n +0 +finished +" + second_node + " +2 ")));
  CHECK(wait_until([&] { return job_left_queue(c, job); }, seconds(20)));
  CHECK(wait_until([&] { return processes_with(c.data()).empty(); }, seconds(20)));
}
