// `lagom node --join HOST:PORT --token T`: a worker machine. `--join slurm`
// (or slurm:PORT) inside a Slurm step takes name, cpus, memory, GPUs and the
// head from the job (runtime/slurm/slurm_env.hpp). Discovers its
// CPUs, memory and GPUs, joins the head and runs containers (worker processes
// by default) until SIGINT/SIGTERM. node_manager runs under a supervisor: if
// the head goes away it is restarted with backoff and joins again (a head
// restarted on the same address gets its node back), forever, the backoff
// capped at --rejoin-max-ms. A head unreachable at the first join is an
// error (exit 1: a wrong address); a refused token is final (exit 2).
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <limits>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <vector>
#include <thread>

#include <unistd.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/node_manager.hpp"
#include "actors/supervisor.hpp"
#include "core/child_process.hpp"
#include "cli/commands/commands.hpp"
#include "cli/commands/slurm_exec.hpp"
#include "slurm/slurm_env.hpp"
#include "wire/atoms.hpp"
#include "wire/auth.hpp"
#include "wire/configure.hpp"
#include "wire/network.hpp"
#include "wire/tcp_probe.hpp"
#include "wire/errors.hpp"

namespace lagom::cli {

namespace {

uint64_t machine_memory_mb() {
  long pages = ::sysconf(_SC_PHYS_PAGES);
  long size = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? static_cast<uint64_t>(pages) * size / (1u << 20) : 1024;
}

std::string default_name() {
  char host[256] = "node";
  ::gethostname(host, sizeof(host) - 1);
  return std::string(host) + "-" + std::to_string(::getpid());
}

// A data directory that is a head's own (it holds the registry) and that
// this node may write: shared storage, as --shared-data would say.
std::string detect_shared_data(const std::string& dir) {
  if (dir.empty())
    return {};
  std::error_code ec;
  if (!std::filesystem::is_directory(dir + "/registry", ec) ||
      ::access(dir.c_str(), W_OK) != 0)
    return {};
  return dir;
}

} // namespace

int run_node(const node_flags& given) {
  node_flags f = given;
  std::string host, err;
  uint16_t port = 0;
  bool from_slurm = false;
  std::optional<std::vector<uint32_t>> slurm_gpus;
  std::string slurm_job;
  if (auto st = slurm::parse_slurm_join(f.join, from_slurm, port); !st) {
    std::fprintf(stderr, "lagom node: %s\n", st.to_string().c_str());
    return 2;
  }
  if (from_slurm) {
    // Inside a Slurm step: name, cpus, memory, GPUs and the head from the job.
    slurm::node_env env;
    if (auto st = slurm::read_node_env(slurm::process_env(), port, env); !st) {
      std::fprintf(stderr, "lagom node --join slurm: %s\n", st.to_string().c_str());
      return 2;
    }
    if (auto st = resolve_slurm_host(env.head_host, host); !st) {
      std::fprintf(stderr, "lagom node --join slurm: %s\n", st.to_string().c_str());
      return 1;
    }
    port = env.head_port;
    f.join = host + ":" + std::to_string(port);
    if (f.name.empty())
      f.name = env.name;
    if (f.cpus == 0)
      f.cpus = env.cpus;
    if (f.memory_mb == 0)
      f.memory_mb = env.memory_mb;
    f.data_dir = slurm::node_data_dir(f.data_dir, env.name);
    std::error_code ec;
    std::filesystem::create_directories(f.data_dir, ec);
    if (ec) {
      std::fprintf(stderr, "lagom node --join slurm: %s: %s\n", f.data_dir.c_str(),
                   ec.message().c_str());
      return 1;
    }
    slurm_gpus = env.gpus;
    slurm_job = env.job_id;
  } else if (!split_host_port(f.join, host, port, err) || port == 0) {
    std::fprintf(stderr, "lagom node: --join %s: %s\n", f.join.c_str(),
                 err.empty() ? "port must be 1..65535" : err.c_str());
    return 2;
  }
  const std::string token = token_or_env(f.token);
  if (token.empty()) {
    std::fprintf(stderr, "lagom node: missing cluster token: pass --token or set LAGOM_TOKEN "
                         "(the head refuses a node without it)\n");
    return 2;
  }
  const std::string shared_data =
    f.shared_data.empty() ? detect_shared_data(given.data_dir) : f.shared_data;
  if (!shared_data.empty() && ::access(shared_data.c_str(), W_OK) != 0) {
    std::fprintf(stderr, "lagom node: --shared-data %s: not a writable directory: %s\n",
                 shared_data.c_str(), std::strerror(errno));
    return 2;
  }
  wire::set_cluster_token(token); // every frame proves it; the attach port checks it
  sigset_t stop = block_stop_signals(); // before CAF starts its threads
  caf::actor_system_config cfg;
  wire::configure(cfg);
  // CAF's middleman, reads bounded (wire/network.hpp). A head silent for
  // --connect-timeout-ms (partitioned) counts as lost: the node rejoins when
  // it answers.
  const std::chrono::milliseconds connect_timeout{f.connect_timeout_ms};
  wire::load_network(cfg, connect_timeout);
  if (!f.tls.empty())
    if (auto st = wire::use_tls(cfg, f.tls); !st) {
      std::fprintf(stderr, "lagom node: %s\n", st.to_string().c_str());
      return 2;
    }
  const bool tls = !f.tls.empty();
  caf::actor_system sys{cfg};
  auto head = wire::remote_actor(sys, host, port, tls);
  if (!head) {
    std::fprintf(stderr, "lagom node: cannot reach the head at %s: %s\n", f.join.c_str(),
                 sys.render(head.error()).c_str());
    return 1;
  }
  actors::node_options no;
  no.name = f.name.empty() ? default_name() : f.name;
  no.token = token;
  no.host = wire::address_towards(host, port);
  no.cpus = f.cpus > 0 ? f.cpus : std::max(1u, std::thread::hardware_concurrency());
  no.memory_mb = f.memory_mb > 0 ? f.memory_mb : machine_memory_mb();
  no.process_containers = !f.thread_containers;
  no.worker_binary = proc::self_executable();
  no.data_dir = f.data_dir;
  no.join_timeout = connect_timeout;
  no.shared_data = shared_data;
  std::string why_no_gpu;
  no.gpus = gpu::discover(&why_no_gpu);
  // Slurm makes only the granted GPUs visible (CUDA_VISIBLE_DEVICES): offer
  // no more than it granted.
  if (slurm_gpus && no.gpus.size() > slurm_gpus->size())
    no.gpus.resize(slurm_gpus->size());
  auto fns = std::make_shared<const function_registry>(function_registry::from_linked());
  caf::scoped_actor self{sys};
  supervision::restart_options ro;
  // A lost head is retried forever (a head restarted on the same address
  // gets its node back), each retry after a backoff doubling from 200 ms up
  // to --rejoin-max-ms.
  ro.max_restarts = std::numeric_limits<uint32_t>::max();
  ro.window = std::chrono::seconds(60);
  ro.backoff_initial = std::chrono::milliseconds(std::min<uint32_t>(200, f.rejoin_max_ms));
  ro.backoff_max = std::chrono::milliseconds(f.rejoin_max_ms);
  auto first_head = std::make_shared<caf::actor>(*head);
  actors::child_spec child{"node_manager", [=](caf::actor_system& s) -> caf::actor {
    caf::actor h = std::move(*first_head); // the first start reuses the checked handle
    if (!h) {
      // Bounded first (wire/tcp_probe.hpp): CAF's own connect is not.
      auto probe = wire::probe_tcp(host, port, connect_timeout);
      if (!probe.connected) {
        std::fprintf(stderr, "lagom node %s: head at %s unreachable: %s\n", no.name.c_str(),
                     f.join.c_str(), probe.why.c_str());
        return caf::actor{};
      }
      auto again = wire::remote_actor(s, host, port, tls);
      if (!again) {
        std::fprintf(stderr, "lagom node %s: head at %s unreachable: %s\n", no.name.c_str(),
                     f.join.c_str(), s.render(again.error()).c_str());
        return caf::actor{};
      }
      h = *again;
    }
    return actors::spawn_node_manager(s, no, h, fns);
  }};
  auto node = actors::spawn_supervisor(sys, "node " + no.name, ro, {child});
  self->monitor(node);
  if (from_slurm)
    std::printf("lagom node %s: slurm job %s, data in %s\n", no.name.c_str(), slurm_job.c_str(),
                no.data_dir.c_str());
  if (!no.shared_data.empty())
    std::printf("lagom node %s: shared data in %s (checkpoints staged there, committed by "
                "the head)\n", no.name.c_str(), no.shared_data.c_str());
  std::printf("lagom node %s: joining %s with %u cpus, %llu MB, %zu GPU(s)%s\n",
              no.name.c_str(), f.join.c_str(), no.cpus,
              static_cast<unsigned long long>(no.memory_mb), no.gpus.size(),
              no.gpus.empty() ? (" (" + why_no_gpu + ")").c_str() : "");
  std::fflush(stdout);
  // A signal thread turns SIGINT/SIGTERM into a stop of the node_manager's
  // containers (their functions return, checkpointing; worker processes
  // still running 2 s later are killed), then an exit of the node_manager.
  // Bounded: at most stop_wait for the containers.
  std::atomic<bool> ended{false};
  std::atomic<int> signalled{0};
  std::atomic<uint32_t> stopped{0}; // containers running when the signal came
  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop, &sig);
    if (ended)
      return;
    signalled = sig;
    const std::string why = "SIG" + std::string(sigabbrev_np(sig));
    std::printf("lagom node %s: %s: stopping its containers\n", no.name.c_str(), why.c_str());
    std::fflush(stdout);
    constexpr auto stop_wait = std::chrono::seconds(5);
    caf::scoped_actor asker{sys};
    asker->request(node, std::chrono::seconds(1), caf::get_atom::value,
                   std::string("node_manager"))
      .receive(
        [&](caf::actor nm) {
          asker->request(nm, stop_wait, atoms::cancel::value, why)
            .receive([&](uint32_t n) { stopped = n; }, [](caf::error&) {});
        },
        [](caf::error&) {});
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
  });
  int code = 0;
  self->receive([&](caf::down_msg& dm) {
    if (dm.reason == caf::exit_reason::user_shutdown) {
      std::printf("lagom node %s: stopped\n", no.name.c_str());
      return;
    }
    auto st = wire::to_status(dm.reason);
    std::fprintf(stderr, "lagom node %s: %s\n", no.name.c_str(),
                 st.code() == errc::unauthorized
                   ? ("refused by the head: " + st.to_string()).c_str()
                   : st.to_string().c_str());
    code = st.code() == errc::unauthorized ? 2 : 1;
  });
  // Wake the signal thread if it is still waiting, then join it.
  ended = true;
  pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  std::fflush(stdout);
  // Containers cut off by a signal (scancel, a time limit): not a clean end.
  return signalled != 0 && stopped > 0 ? 128 + signalled : code;
}

} // namespace lagom::cli
