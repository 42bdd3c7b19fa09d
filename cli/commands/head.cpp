// `lagom head`: the cluster's head process. Runs cluster_manager and the
// services (experiment registry, checkpointer, log aggregator on the --data
// directory), publishes cluster_manager through CAF's middleman on --listen
// (loopback unless told otherwise); nodes join with --token. Without --tls
// it also opens the online feature door (actors/online_door.hpp) on
// --online-listen (default: --listen's host, a free port). Runs until
// SIGINT or SIGTERM.
#include <csignal>
#include <ctime>
#include <cstdio>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/cluster_manager.hpp"
#include "actors/cancel_runs.hpp"
#include "actors/online_door.hpp"
#include "actors/services.hpp"
#include "cli/commands/commands.hpp"
#include "cli/commands/slurm_exec.hpp"
#include "wire/auth.hpp"
#include "wire/configure.hpp"
#include "wire/network.hpp"

namespace lagom::cli {

namespace {

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

} // namespace

int run_head(const head_flags& f) {
  std::string host, err;
  uint16_t port = 0;
  if (f.listen == "slurm") {
    // Inside a Slurm job: the batch host's address, any free port.
    if (auto st = slurm_head_address(host); !st) {
      std::fprintf(stderr, "lagom head --listen slurm: %s\n", st.to_string().c_str());
      return 2;
    }
  } else if (!split_host_port(f.listen, host, port, err)) {
    std::fprintf(stderr, "lagom head: --listen %s: %s\n", f.listen.c_str(), err.c_str());
    return 2;
  }
  std::string token = token_or_env(f.token);
  if (token.empty()) {
    std::fprintf(stderr, "lagom head: --token (or LAGOM_TOKEN) is required: nodes must "
                         "present it to join\n");
    return 2;
  }
  if (!f.tls.empty() && !f.online_listen.empty() && f.online_listen != "off") {
    std::fprintf(stderr, "lagom head: --online-listen %s: the online door speaks no TLS; with "
                         "--tls lookups take the TLS actor path (leave --online-listen out)\n",
                 f.online_listen.c_str());
    return 2;
  }
  std::string online_host = host;
  uint16_t online_port = 0;
  if (!f.online_listen.empty() && f.online_listen != "off" &&
      !split_host_port(f.online_listen, online_host, online_port, err)) {
    std::fprintf(stderr, "lagom head: --online-listen %s: %s\n", f.online_listen.c_str(),
                 err.c_str());
    return 2;
  }
  if (f.timeout_ms <= f.heartbeat_ms) {
    std::fprintf(stderr, "lagom head: --timeout-ms (%u) must exceed --heartbeat-ms (%u)\n",
                 f.timeout_ms, f.heartbeat_ms);
    return 2;
  }
  wire::set_cluster_token(token); // every door checks it (actors/door.hpp)
  sigset_t stop = block_stop_signals(); // before CAF starts its threads
  caf::actor_system_config cfg;
  wire::configure(cfg);
  // CAF's middleman, reads bounded (wire/network.hpp). A client silent for
  // 30 s (partitioned) is disconnected: what its drivers held is reclaimed.
  wire::load_network(cfg, std::chrono::seconds(30));
  if (!f.tls.empty())
    if (auto st = wire::use_tls(cfg, f.tls); !st) {
      std::fprintf(stderr, "lagom head: %s\n", st.to_string().c_str());
      return 2;
    }
  caf::actor_system sys{cfg};
  const std::string data_dir = actors::resolve_data_dir(f.data_dir);
  actors::service_handles services;
  // Node epochs carry this head's start time: those of an earlier head are
  // unknown here, and refused like fenced ones (supervision/membership.hpp).
  auto members = std::make_shared<supervision::membership>(
    static_cast<uint32_t>(std::time(nullptr)));
  std::vector<std::shared_ptr<storage::feature_store>> stores;
  if (auto st = actors::spawn_services(sys, data_dir, services, members, f.shared_data, &stores);
      !st) {
    std::fprintf(stderr, "lagom head: %s\n", st.to_string().c_str());
    return 1;
  }
  // The online door (actors/online_door.hpp): plain TCP with an HMAC proof
  // of the token, so not opened under --tls (lookups take the TLS actor path).
  std::unique_ptr<actors::online_door> door;
  if (f.tls.empty() && f.online_listen != "off")
    if (auto st = actors::online_door::open(online_host, online_port, token, std::move(stores),
                                            &door);
        !st) {
      std::fprintf(stderr, "lagom head: --online-listen: %s\n", st.to_string().c_str());
      actors::stop_services(services);
      return 1;
    }
  stores.clear();
  actors::cluster_options co;
  co.token = token;
  co.heartbeat_ms = f.heartbeat_ms;
  co.timeout_ms = f.timeout_ms;
  co.registry = services.registry;
  co.checkpointer = services.checkpointer;
  co.logs = services.logs;
  co.members = members;
  co.feature_store = services.feature_store;
  co.online_port = door ? door->port() : 0;
  auto cm = actors::spawn_cluster_manager(sys, co);
  auto bound = wire::publish(sys, cm, port, host, !f.tls.empty());
  if (!bound) {
    std::fprintf(stderr, "lagom head: cannot listen on %s: %s\n", f.listen.c_str(),
                 sys.render(bound.error()).c_str());
    caf::anon_send_exit(cm, caf::exit_reason::user_shutdown);
    if (door)
      door->stop();
    actors::stop_services(services);
    return 1;
  }
  std::printf("lagom head listening on %s:%u%s\n", host.c_str(), static_cast<unsigned>(*bound),
              f.tls.empty() ? "" : " (TLS, peers verified against the cluster CA)");
  if (!is_loopback(host) && f.tls.empty())
    std::fprintf(stderr,
                 "lagom head: warning: listening on %s without TLS: the cluster token and "
                 "every frame cross the network in clear text\n",
                 host.c_str());
  std::printf("lagom head: data in %s (registry, checkpoints, logs)\n", data_dir.c_str());
  if (!f.shared_data.empty())
    std::printf("lagom head: checkpoints in %s/checkpoints (shared: nodes stage them there, "
                "the head commits)\n", f.shared_data.c_str());
  std::printf("lagom head: feature store in %s/featurestore (%u shards)\n", data_dir.c_str(),
              static_cast<unsigned>(actors::feature_store_shards));
  if (door)
    std::printf("lagom head: online feature door on %s:%u (lookups; token proven by HMAC)\n",
                online_host.c_str(), static_cast<unsigned>(door->port()));
  else
    std::printf("lagom head: online feature door off (%s): lookups take the actor path\n",
                f.tls.empty() ? "--online-listen off" : "--tls");
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  std::printf("lagom head: stopping (signal %d)\n", sig);
  std::fflush(stdout);
  // What still runs in the registry was cut off by this stop (scancel, a
  // time limit): its runs cancelled, its experiments stopped.
  actors::cancel_counts n;
  const std::string why = "the head got SIG" + std::string(sigabbrev_np(sig));
  if (auto st = actors::cancel_running(sys, services.registry, why, std::chrono::seconds(5), &n);
      !st)
    std::fprintf(stderr, "lagom head: the registry could not record the stop: %s\n",
                 st.to_string().c_str());
  std::printf("lagom head: %u run(s) of %u experiment(s) recorded cancelled (%s)\n", n.runs,
              n.experiments, why.c_str());
  std::fflush(stdout);
  if (door)
    door->stop();
  caf::anon_send_exit(cm, caf::exit_reason::user_shutdown);
  actors::stop_services(services);
  sys.middleman().unpublish(cm, *bound);
  // Work cut off by the signal is not a clean end: 128+N; an idle head's
  // stop is one (the end of every Slurm job stops its head).
  return n.runs > 0 || n.experiments > 0 ? 128 + sig : 0;
}

} // namespace lagom::cli
