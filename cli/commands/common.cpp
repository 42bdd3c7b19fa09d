// Small helpers shared by the subcommands.
#include <cstdlib>

#include "cli/commands/commands.hpp"

namespace lagom::cli {

bool split_host_port(const std::string& s, std::string& host, uint16_t& port,
                     std::string& err) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) {
    err = "expected HOST:PORT";
    return false;
  }
  host = s.substr(0, colon);
  const std::string digits = s.substr(colon + 1);
  if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) {
    err = "port '" + digits + "' is not a number";
    return false;
  }
  unsigned long p = std::strtoul(digits.c_str(), nullptr, 10);
  if (p > 65535) {
    err = "port " + digits + " is out of range 0..65535";
    return false;
  }
  port = static_cast<uint16_t>(p);
  return true;
}

sigset_t block_stop_signals() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  return stop;
}

std::string token_or_env(const std::string& flag) {
  if (!flag.empty())
    return flag;
  const char* env = std::getenv("LAGOM_TOKEN");
  return env ? env : "";
}

} // namespace lagom::cli

#include "cli/commands/cluster_flags.hpp"
#include "core/child_process.hpp"

namespace lagom::cli {

status open_cluster(const cluster_flags& f, std::unique_ptr<cluster>& out) {
  if (!f.connect.empty())
    return cluster::connect(f.connect, token_or_env(f.token), f.tls, out);
  embedded_options eo;
  eo.nodes = f.nodes;
  eo.cpus_per_node = f.cpus_per_node;
  eo.memory_mb_per_node = f.memory_mb;
  eo.process_containers = f.process_containers;
  eo.worker_binary = proc::self_executable();
  eo.data_dir = f.data_dir;
  return cluster::start_embedded(eo, out);
}

} // namespace lagom::cli
