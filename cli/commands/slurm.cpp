// `lagom slurm submit SCRIPT --nodes N ...`: writes the sbatch job of
// runtime/slurm/batch_script.hpp into DATA/slurm/ and submits it; prints the
// job id. `lagom slurm status JOB`: the job as Slurm sees it (squeue, or
// scontrol once it left the queue), the lagom cluster inside it (through the
// head address the job wrote) and the tail of the script's output.
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "cli/commands/commands.hpp"
#include "cli/commands/slurm_exec.hpp"
#include "cli/script/commands.hpp"
#include "cli/script/parser.hpp"
#include "core/child_process.hpp"
#include "slurm/batch_script.hpp"

namespace lagom::cli {

namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r'))
    s.pop_back();
  return s;
}

// The last `n` lines of `text`.
std::string tail_lines(const std::string& text, size_t n) {
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n')
    --pos;
  while (n > 0 && pos > 0) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) {
      pos = 0;
      break;
    }
    --n;
  }
  return text.substr(pos == 0 ? 0 : pos + 1);
}

bool job_id_ok(const std::string& id) {
  return !id.empty() && id.size() < 20 && id.find_first_not_of("0123456789") == std::string::npos;
}

} // namespace

int run_slurm_submit(const slurm_submit_flags& f) {
  slurm::submit_options o;
  std::error_code ec;
  auto script = fs::absolute(f.script, ec);
  if (ec || !fs::is_regular_file(script, ec)) {
    std::fprintf(stderr, "lagom slurm submit: %s: no such file\n", f.script.c_str());
    return 2;
  }
  o.script = script.lexically_normal().string();
  o.nodes = f.nodes;
  o.cpus_per_node = f.cpus_per_node;
  o.gpus_per_node = f.gpus_per_node;
  o.time = f.time;
  o.partition = f.partition;
  o.job_name = f.job_name;
  o.lagom_binary = proc::self_executable();
  o.data_dir = fs::absolute(f.data_dir, ec).lexically_normal().string();
  if (auto st = slurm::validate(o); !st) {
    std::fprintf(stderr, "lagom slurm submit: %s\n", st.to_string().c_str());
    return 2;
  }
  // Check the script before anything is submitted: a bad line costs nothing.
  std::vector<script::statement> statements;
  auto st = script::parse(read_file(o.script), f.script, statements);
  for (size_t i = 0; st && i < statements.size(); ++i) {
    script::command cmd;
    st = script::to_command(statements[i], cmd);
  }
  if (!st) {
    std::fprintf(stderr, "lagom slurm submit: %s\n", st.to_string().c_str());
    return 2;
  }
  const std::string dir = o.data_dir + "/slurm";
  fs::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "lagom slurm submit: %s: %s\n", dir.c_str(), ec.message().c_str());
    return 1;
  }
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::gmtime(&now));
  const std::string batch = dir + "/submit-" + stamp + "-" + std::to_string(::getpid()) + ".sbatch";
  {
    std::ofstream out(batch);
    out << slurm::render_batch_script(o);
    if (!out) {
      std::fprintf(stderr, "lagom slurm submit: cannot write %s\n", batch.c_str());
      return 1;
    }
  }
  program_output p;
  if (auto st = run_program({"sbatch", "--parsable", batch}, p); !st) {
    std::fprintf(stderr, "lagom slurm submit: %s\n", st.to_string().c_str());
    return 1;
  }
  if (p.code != 0) {
    std::fprintf(stderr, "lagom slurm submit: sbatch refused the job (exit %d): %s", p.code,
                 p.err.c_str());
    return 1;
  }
  std::string job = trim(p.out);
  if (auto semi = job.find(';'); semi != std::string::npos)
    job = job.substr(0, semi);  // "JOBID;cluster"
  std::printf("submitted slurm job %s: %u node(s), script %s\n", job.c_str(), o.nodes,
              o.script.c_str());
  std::printf("  data %s, output %s/job-%s.log, batch script %s\n", o.data_dir.c_str(),
              dir.c_str(), job.c_str(), batch.c_str());
  std::printf("  lagom --data %s slurm status %s\n", o.data_dir.c_str(), job.c_str());
  std::fflush(stdout);
  return 0;
}

int run_slurm_status(const slurm_status_flags& f) {
  if (!job_id_ok(f.job)) {
    std::fprintf(stderr, "lagom slurm status: '%s': expected a Slurm job id (digits)\n",
                 f.job.c_str());
    return 2;
  }
  program_output q;
  if (auto st = run_program({"squeue", "-h", "-j", f.job, "-o", "%i %j %T %M %D %R"}, q); !st) {
    std::fprintf(stderr, "lagom slurm status: %s\n", st.to_string().c_str());
    return 1;
  }
  std::string line = trim(q.out);
  std::printf("slurm job %s: ", f.job.c_str());
  if (q.code == 0 && !line.empty()) {
    std::istringstream in(line);
    std::string id, name, state, time, nodes, where;
    in >> id >> name >> state >> time >> nodes;
    std::getline(in, where);
    std::printf("%s, %s, %s node(s), running for %s, on%s\n", name.c_str(), state.c_str(),
                nodes.c_str(), time.c_str(), where.c_str());
  } else {
    // Gone from the queue: scontrol still knows a recent job.
    program_output c;
    run_program({"scontrol", "show", "job", f.job}, c);
    auto field = [&](const std::string& key) {
      auto p = c.out.find(key + "=");
      if (p == std::string::npos)
        return std::string("?");
      p += key.size() + 1;
      return c.out.substr(p, c.out.find_first_of(" \n", p) - p);
    };
    if (c.code != 0) {
      std::printf("unknown to Slurm (%s)\n", trim(c.err + q.err).c_str());
      if (!fs::exists(f.data_dir + "/slurm/job-" + f.job)) {
        std::fprintf(stderr, "lagom slurm status: job %s: unknown to Slurm and no %s/slurm/job-%s\n",
                     f.job.c_str(), f.data_dir.c_str(), f.job.c_str());
        return 1;
      }
    } else {
      std::printf("%s, %s (exit %s), ran %s on %s\n", field("JobName").c_str(),
                  field("JobState").c_str(), field("ExitCode").c_str(), field("RunTime").c_str(),
                  field("NodeList").c_str());
    }
  }
  const std::string job_dir = f.data_dir + "/slurm/job-" + f.job;
  const std::string state = trim(read_file(job_dir + "/state"));
  const std::string addr = trim(read_file(job_dir + "/head.addr"));
  std::printf("lagom: %s%s%s\n", state.empty() ? "no state yet" : state.c_str(),
              addr.empty() ? "" : ", head ", addr.c_str());
  int code = 0;
  if (!addr.empty() && (state == "running" || state == "starting")) {
    std::fflush(stdout);
    status_flags sf;
    sf.cluster.connect = addr;
    sf.cluster.data_dir = f.data_dir;
    code = run_status(sf);
  }
  const std::string log = read_file(f.data_dir + "/slurm/job-" + f.job + ".log");
  if (!log.empty())
    std::printf("script output (last 10 lines of %s/slurm/job-%s.log):\n%s", f.data_dir.c_str(),
                f.job.c_str(), tail_lines(log, 10).c_str());
  std::fflush(stdout);
  return code;
}

} // namespace lagom::cli
