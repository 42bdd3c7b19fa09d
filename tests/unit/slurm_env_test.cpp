// What `lagom node --join slurm` takes from a Slurm step's environment, and
// the errors naming the variable when it is missing or malformed.
#include <catch2/catch.hpp>

#include <map>

#include "slurm/slurm_env.hpp"

using namespace lagom::slurm;

namespace {

using vars = std::map<std::string, std::string>;

env_lookup lookup(const vars& v) {
  return [&v](const char* name) -> const char* {
    auto it = v.find(name);
    return it == v.end() ? nullptr : it->second.c_str();
  };
}

vars step() {
  return {{"SLURMD_NODENAME", "n2"},     {"SLURM_CPUS_ON_NODE", "4"},
          {"SLURM_JOB_ID", "17"},        {"SLURM_JOB_NODELIST", "n[1-3]"},
          {"SLURM_MEM_PER_NODE", "2048"}, {"LAGOM_HEAD_PORT", "40123"}};
}

std::string error_of(const vars& v, uint16_t port = 0) {
  node_env e;
  auto st = read_node_env(lookup(v), port, e);
  REQUIRE_FALSE(st);
  CHECK(st.code() == lagom::errc::invalid_argument);
  return st.to_string();
}

} // namespace

TEST_CASE("a step's environment gives name, cpus, memory and the head", "[slurm]") {
  auto v = step();
  node_env e;
  REQUIRE(read_node_env(lookup(v), 0, e));
  CHECK(e.name == "n2");
  CHECK(e.cpus == 4);
  CHECK(e.memory_mb == 2048);
  CHECK(e.job_id == "17");
  CHECK(e.head_host == "n1");
  CHECK(e.head_port == 40123);
  CHECK_FALSE(e.gpus.has_value());
}

TEST_CASE("the port of --join slurm:PORT wins over LAGOM_HEAD_PORT", "[slurm]") {
  auto v = step();
  v.erase("LAGOM_HEAD_PORT");
  node_env e;
  REQUIRE(read_node_env(lookup(v), 7070, e));
  CHECK(e.head_port == 7070);
}

TEST_CASE("GPUs come from SLURM_STEP_GPUS, else CUDA_VISIBLE_DEVICES", "[slurm]") {
  auto v = step();
  v["CUDA_VISIBLE_DEVICES"] = "0,1";
  node_env e;
  REQUIRE(read_node_env(lookup(v), 0, e));
  REQUIRE(e.gpus.has_value());
  CHECK(*e.gpus == std::vector<uint32_t>{0, 1});
  v["SLURM_STEP_GPUS"] = "2,5,7";
  REQUIRE(read_node_env(lookup(v), 0, e));
  CHECK(*e.gpus == std::vector<uint32_t>{2, 5, 7});
  v["SLURM_STEP_GPUS"] = "NoDevFiles";
  REQUIRE(read_node_env(lookup(v), 0, e));
  CHECK(e.gpus->empty());
}

TEST_CASE("missing memory means the machine's, not an error", "[slurm]") {
  auto v = step();
  v.erase("SLURM_MEM_PER_NODE");
  node_env e;
  REQUIRE(read_node_env(lookup(v), 0, e));
  CHECK(e.memory_mb == 0);
}

TEST_CASE("a missing or malformed variable is named", "[slurm]") {
  for (auto name : {"SLURMD_NODENAME", "SLURM_CPUS_ON_NODE", "SLURM_JOB_ID", "SLURM_JOB_NODELIST"}) {
    auto v = step();
    v.erase(name);
    CHECK(error_of(v).rfind(std::string(name) + ": not set", 0) == 0);
  }
  auto v = step();
  v["SLURM_CPUS_ON_NODE"] = "4(x2)";
  CHECK(error_of(v) ==
        "SLURM_CPUS_ON_NODE: '4(x2)': expected a whole number of cpus 1..4096");
  v = step();
  v["SLURM_CPUS_ON_NODE"] = "0";
  CHECK(error_of(v).rfind("SLURM_CPUS_ON_NODE: '0'", 0) == 0);
  v = step();
  v["SLURM_MEM_PER_NODE"] = "2G";
  CHECK(error_of(v).rfind("SLURM_MEM_PER_NODE: '2G'", 0) == 0);
  v = step();
  v["CUDA_VISIBLE_DEVICES"] = "0,x";
  CHECK(error_of(v).rfind("CUDA_VISIBLE_DEVICES: '0,x'", 0) == 0);
  v = step();
  v["SLURM_JOB_NODELIST"] = "n[1-";
  CHECK(error_of(v) == "SLURM_JOB_NODELIST: 'n[1-': expected the upper bound of a range at column 5");
  v = step();
  v.erase("LAGOM_HEAD_PORT");
  CHECK(error_of(v).rfind("LAGOM_HEAD_PORT: not set", 0) == 0);
  v = step();
  v["LAGOM_HEAD_PORT"] = "70000";
  CHECK(error_of(v) == "LAGOM_HEAD_PORT: '70000': expected a port 1..65535");
}

TEST_CASE("the join flag tells slurm from an address", "[slurm]") {
  bool is = false;
  uint16_t port = 1;
  REQUIRE(parse_slurm_join("slurm", is, port));
  CHECK(is);
  CHECK(port == 0);
  REQUIRE(parse_slurm_join("slurm:7070", is, port));
  CHECK(is);
  CHECK(port == 7070);
  REQUIRE(parse_slurm_join("127.0.0.1:7070", is, port));
  CHECK_FALSE(is);
  auto st = parse_slurm_join("slurm:0", is, port);
  REQUIRE_FALSE(st);
  CHECK(st.to_string() == "--join: 'slurm:0': expected slurm or slurm:PORT with PORT 1..65535");
}

TEST_CASE("NodeAddr is read from scontrol show node", "[slurm]") {
  const std::string out =
    "NodeName=n1 Arch=x86_64 CoresPerSocket=1\n"
    "   CPUAlloc=0 CPUEfctv=2 CPUTot=2 CPULoad=0.10\n"
    "   NodeAddr=127.0.0.1 NodeHostName=box Version=22.05.8\n";
  std::string addr;
  REQUIRE(parse_node_addr(out, addr));
  CHECK(addr == "127.0.0.1");
  CHECK_FALSE(parse_node_addr("Node n9 not found", addr));
  CHECK_FALSE(parse_node_addr("XNodeAddr=1.2.3.4", addr));
  CHECK(node_data_dir("/d", "n2") == "/d/nodes/n2");
}
