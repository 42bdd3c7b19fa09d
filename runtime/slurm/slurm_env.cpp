#include "slurm/slurm_env.hpp"

#include <cstdlib>
#include <sstream>

#include "slurm/hostlist.hpp"

namespace lagom::slurm {

namespace {

status bad(const char* variable, const std::string& value, const std::string& why) {
  return status::error(errc::invalid_argument, "'" + value + "': " + why, variable);
}

// A whole decimal number in [min, max].
bool whole(const std::string& s, unsigned long long min, unsigned long long max,
           unsigned long long& v) {
  if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos)
    return false;
  v = std::stoull(s);
  return v >= min && v <= max;
}

status required(const env_lookup& env, const char* variable, std::string& out) {
  const char* v = env(variable);
  if (v == nullptr || *v == '\0')
    return status::error(errc::invalid_argument,
                         "not set: `lagom node --join slurm` runs inside a Slurm job step "
                         "(srun)",
                         variable);
  out = v;
  return status::ok();
}

} // namespace

env_lookup process_env() {
  return [](const char* name) -> const char* { return std::getenv(name); };
}

status parse_gpu_list(const std::string& text, const char* variable,
                      std::vector<uint32_t>& out) {
  out.clear();
  if (text.empty() || text == "NoDevFiles")
    return status::ok();
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    unsigned long long id = 0;
    if (!whole(item, 0, 1023, id))
      return bad(variable, text, "expected comma-separated GPU ids (0..1023), got '" + item + "'");
    out.push_back(static_cast<uint32_t>(id));
  }
  if (!text.empty() && text.back() == ',')
    return bad(variable, text, "trailing ','");
  return status::ok();
}

status parse_slurm_join(const std::string& join, bool& is_slurm, uint16_t& port) {
  is_slurm = false;
  port = 0;
  if (join == "slurm") {
    is_slurm = true;
    return status::ok();
  }
  if (join.rfind("slurm:", 0) != 0)
    return status::ok();
  is_slurm = true;
  unsigned long long p = 0;
  if (!whole(join.substr(6), 1, 65535, p))
    return status::error(errc::invalid_argument,
                         "'" + join + "': expected slurm or slurm:PORT with PORT 1..65535",
                         "--join");
  port = static_cast<uint16_t>(p);
  return status::ok();
}

status read_node_env(const env_lookup& env, uint16_t port_flag, node_env& out) {
  node_env e;
  std::string cpus, nodelist;
  for (auto st : {required(env, "SLURMD_NODENAME", e.name),
                  required(env, "SLURM_CPUS_ON_NODE", cpus),
                  required(env, "SLURM_JOB_ID", e.job_id),
                  required(env, "SLURM_JOB_NODELIST", nodelist)})
    if (!st)
      return st;
  unsigned long long v = 0;
  if (!whole(cpus, 1, 4096, v))
    return bad("SLURM_CPUS_ON_NODE", cpus, "expected a whole number of cpus 1..4096");
  e.cpus = static_cast<uint32_t>(v);
  if (const char* mem = env("SLURM_MEM_PER_NODE"); mem != nullptr && *mem != '\0') {
    if (!whole(mem, 1, 1ull << 40, v))
      return bad("SLURM_MEM_PER_NODE", mem, "expected megabytes, a whole number >= 1");
    e.memory_mb = v;
  }
  for (const char* variable : {"SLURM_STEP_GPUS", "CUDA_VISIBLE_DEVICES"}) {
    if (const char* g = env(variable); g != nullptr) {
      std::vector<uint32_t> ids;
      if (auto st = parse_gpu_list(g, variable, ids); !st)
        return st;
      e.gpus = std::move(ids);
      break;
    }
  }
  if (auto st = first_host(nodelist, e.head_host); !st)
    return status::error(errc::invalid_argument, "'" + nodelist + "': " + st.message(),
                         "SLURM_JOB_NODELIST");
  e.head_port = port_flag;
  if (e.head_port == 0) {
    std::string port;
    if (auto st = required(env, "LAGOM_HEAD_PORT", port); !st)
      return status::error(errc::invalid_argument,
                           "not set: the head's port comes from LAGOM_HEAD_PORT or "
                           "--join slurm:PORT",
                           "LAGOM_HEAD_PORT");
    if (!whole(port, 1, 65535, v))
      return bad("LAGOM_HEAD_PORT", port, "expected a port 1..65535");
    e.head_port = static_cast<uint16_t>(v);
  }
  out = std::move(e);
  return status::ok();
}

status parse_node_addr(const std::string& text, std::string& addr) {
  // Fields are KEY=VALUE separated by spaces or newlines: "NodeAddr=10.0.0.5 NodeHostName=..."
  size_t pos = 0;
  while ((pos = text.find("NodeAddr=", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == ' ' || text[pos - 1] == '\n' || text[pos - 1] == '\t') {
      size_t start = pos + 9;
      size_t end = text.find_first_of(" \t\n", start);
      addr = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (addr.empty())
        return status::error(errc::not_found, "empty NodeAddr", "scontrol show node");
      return status::ok();
    }
    pos += 9;
  }
  return status::error(errc::not_found, "no NodeAddr= in its output", "scontrol show node");
}

std::string node_data_dir(const std::string& data_dir, const std::string& node_name) {
  return data_dir + "/nodes/" + node_name;
}

} // namespace lagom::slurm
