// The sbatch script `lagom slurm submit` writes, and its options' checks.
#include <catch2/catch.hpp>

#include "slurm/batch_script.hpp"

using namespace lagom::slurm;

namespace {

submit_options opts() {
  submit_options o;
  o.script = "/src/examples/hello.lagom";
  o.nodes = 3;
  o.lagom_binary = "/opt/lagom/bin/lagom";
  o.data_dir = "/shared/lagom's-data";
  return o;
}

std::string error_of(const submit_options& o) {
  auto st = validate(o);
  REQUIRE_FALSE(st);
  CHECK(st.code() == lagom::errc::invalid_argument);
  return st.to_string();
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("the batch script asks Slurm for the hosts and starts head, nodes and script", "[slurm]") {
  auto o = opts();
  o.cpus_per_node = 4;
  o.gpus_per_node = 2;
  o.time = "1:30:00";
  o.partition = "gpu";
  REQUIRE(validate(o));
  auto s = render_batch_script(o);
  CHECK(s.rfind("#!/bin/bash\n#SBATCH --job-name=lagom-hello\n", 0) == 0);
  for (auto line : {"#SBATCH --nodes=3\n", "#SBATCH --ntasks-per-node=1\n",
                    "#SBATCH --cpus-per-task=4\n", "#SBATCH --gres=gpu:2\n",
                    "#SBATCH --time=1:30:00\n", "#SBATCH --partition=gpu\n",
                    "#SBATCH --output=/shared/lagom's-data/slurm/job-%j.log\n",
                    "DATA='/shared/lagom'\\''s-data'\n", "LAGOM='/opt/lagom/bin/lagom'\n"})
    CHECK(has(s, line));
  CHECK(has(s, "head --listen slurm"));
  CHECK(has(s, "node --join slurm"));
  // Every host sees DATA: checkpoints are staged there by the nodes.
  CHECK(has(s, "head --listen slurm --shared-data \"$DATA\""));
  CHECK(has(s, "node --join slurm --shared-data \"$DATA\""));
  CHECK(has(s, "--wait-nodes \"$NODES\""));
  CHECK(has(s, "run \"$SCRIPT\" --connect \"$addr\""));
  CHECK(has(s, "trap 'on_signal SIGTERM' TERM"));
  // The job's token goes to a file only its owner reads (slurm status, clients).
  CHECK(has(s, "(umask 077; printf '%s\\n' \"$LAGOM_TOKEN\" > \"$JOB_DIR/token\")"));
}

TEST_CASE("optional flags left out leave their lines out", "[slurm]") {
  auto s = render_batch_script(opts());
  CHECK_FALSE(has(s, "--cpus-per-task"));
  CHECK_FALSE(has(s, "--gres"));
  CHECK_FALSE(has(s, "--time"));
  CHECK_FALSE(has(s, "--partition"));
}

TEST_CASE("Slurm's time forms are accepted, others refused", "[slurm]") {
  for (auto t : {"30", "30:00", "1:30:00", "2-0", "2-12:00", "2-12:00:00", "infinite"})
    CHECK(valid_time(t));
  for (auto t : {"", "1h", "1:2:3:4", "-1", "1-", "a-1", "1::2", "1:30:"})
    CHECK_FALSE(valid_time(t));
}

TEST_CASE("bad submit options are refused naming the flag", "[slurm]") {
  auto o = opts();
  o.time = "1h";
  CHECK(error_of(o) ==
        "--time: '1h': expected minutes, M:S, H:M:S, D-H, D-H:M or D-H:M:S (Slurm's forms)");
  o = opts();
  o.nodes = 0;
  CHECK(error_of(o) == "--nodes: '0': expected 1..4096");
  o = opts();
  o.partition = "gpu;rm -rf";
  CHECK(error_of(o).rfind("--partition: 'gpu;rm -rf'", 0) == 0);
  o = opts();
  o.data_dir = "relative/dir";
  CHECK(error_of(o).rfind("--data: 'relative/dir'", 0) == 0);
  o = opts();
  o.data_dir = "/shared/my data";
  CHECK(error_of(o) == "--data: '/shared/my data': no blanks or '%' (sbatch --output reads them)");
  o = opts();
  o.gpus_per_node = 65;
  CHECK(error_of(o) == "--gpus-per-node: '65': expected 0..64");
}

TEST_CASE("shell quoting survives quotes in paths", "[slurm]") {
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
}
