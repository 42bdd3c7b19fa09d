// The implementation of lagom::cluster (runtime/include/lagom/cluster.hpp).
// Not an actor: it owns the caf::actor_system of an embedding process and
// talks to cluster_manager through blocking requests of a scoped_actor.
#include "actors/api/cluster_impl.hpp"

#include <algorithm>
#include <cstdlib>
#include <ctime>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/cancel_runs.hpp"
#include "actors/cluster_manager.hpp"
#include "actors/head_guard.hpp"
#include "actors/launch_coordinator.hpp"
#include "actors/node_manager.hpp"
#include "core/log.hpp"
#include "gpu/gpu_discovery.hpp"
#include "wire/atoms.hpp"
#include "wire/auth.hpp"
#include "wire/configure.hpp"
#include "wire/network.hpp"
#include "wire/errors.hpp"
#include "schemas/cluster.capnp.h"
#include "wire/read.hpp"

namespace lagom {

cluster::cluster(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
cluster::~cluster() = default;

bool cluster::embedded() const { return impl_->embedded; }

status cluster::start_embedded(const embedded_options& opts, std::unique_ptr<cluster>& out) {
  if (opts.nodes == 0 || opts.cpus_per_node == 0)
    return status::error(errc::invalid_argument, "an embedded cluster needs at least one node "
                                                 "with at least one cpu", "embedded_options");
  if (!opts.log_level.empty() && !log::set_level(opts.log_level))
    return status::error(errc::invalid_argument,
                         "log_level: '" + opts.log_level +
                           "': expected trace, debug, info, warn, error or off",
                         "embedded_options");
  if (opts.process_containers && opts.worker_binary.empty())
    return status::error(errc::invalid_argument,
                         "process_containers needs worker_binary", "embedded_options");
  // Workers attach over loopback and report to this process: they prove a
  // token of its own (actors/door.hpp) unless one was set.
  if (opts.process_containers && wire::cluster_token().empty())
    wire::set_cluster_token(wire::random_token());
  auto p = std::make_unique<impl>();
  wire::configure(p->cfg);
  if (opts.process_containers)
    wire::load_network(p->cfg); // workers attach to their node over loopback
  p->sys = std::make_unique<caf::actor_system>(p->cfg);
  p->embedded = true;
  p->data_dir = actors::resolve_data_dir(opts.data_dir);
  auto members = std::make_shared<supervision::membership>(
    static_cast<uint32_t>(std::time(nullptr)));
  if (auto st = actors::spawn_services(*p->sys, actors::resolve_data_dir(opts.data_dir),
                                       p->services, members);
      !st)
    return st;
  const std::string token = "embedded";
  actors::cluster_options co;
  co.token = token;
  co.registry = p->services.registry;
  co.checkpointer = p->services.checkpointer;
  co.logs = p->services.logs;
  co.members = members;
  co.feature_store = p->services.feature_store;
  co.heartbeat_ms = opts.heartbeat_ms;
  co.timeout_ms = opts.heartbeat_timeout_ms;
  p->head = actors::spawn_cluster_manager(*p->sys, co);
  // The machine's GPUs are dealt to the virtual nodes round robin.
  auto gpus = gpu::discover();
  auto fns = std::make_shared<const function_registry>(opts.functions);
  for (uint32_t i = 0; i < opts.nodes; ++i) {
    actors::node_options no;
    no.name = "node-" + std::to_string(i + 1);
    no.token = token;
    no.cpus = opts.cpus_per_node;
    no.memory_mb = opts.memory_mb_per_node;
    no.data_dir = actors::resolve_data_dir(opts.data_dir);
    no.process_containers = opts.process_containers;
    no.worker_binary = opts.worker_binary;
    for (size_t g = i; g < gpus.size(); g += opts.nodes)
      no.gpus.push_back(gpus[g]);
    p->nodes.push_back(actors::spawn_node_manager(*p->sys, no, p->head, fns));
    // One join at a time, so node-K gets node id K (placement ties go by id).
    caf::scoped_actor self{*p->sys};
    status joined;
    self->request(p->head, std::chrono::seconds(10), atoms::await::value, i + 1, 0u)
      .receive([]() {}, [&](caf::error& err) { joined = wire::to_status(err); });
    if (!joined)
      return status::error(joined.code(), "node-" + std::to_string(i + 1)
                                            + " did not join: " + joined.message(),
                           "embedded cluster");
  }
  out.reset(new cluster(std::move(p)));
  return status::ok();
}

status cluster::connect(const std::string& host_port, std::unique_ptr<cluster>& out,
                        std::chrono::milliseconds timeout) {
  const char* env = std::getenv("LAGOM_TOKEN");
  return connect(host_port, env != nullptr ? env : "", out, timeout);
}

status cluster::connect(const std::string& host_port, const std::string& token,
                        std::unique_ptr<cluster>& out, std::chrono::milliseconds timeout) {
  return connect(host_port, token, "", out, timeout);
}

status cluster::connect(const std::string& host_port, const std::string& token,
                        const std::string& tls_dir, std::unique_ptr<cluster>& out,
                        std::chrono::milliseconds timeout) {
  auto colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == host_port.size())
    return status::error(errc::invalid_argument, "expected HOST:PORT", host_port);
  std::string host = host_port.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(host_port.substr(colon + 1));
  } catch (...) {
    port = -1;
  }
  if (port <= 0 || port > 65535)
    return status::error(errc::invalid_argument, "port must be 1..65535", host_port);
  if (token.empty())
    return status::error(errc::unauthorized,
                         "no cluster token: pass --token or set LAGOM_TOKEN", host_port);
  wire::set_cluster_token(token); // every frame this process sends proves it
  auto p = std::make_unique<impl>();
  p->data_dir = actors::resolve_data_dir("");
  wire::configure(p->cfg);
  // CAF's middleman, reads bounded; a head silent for `timeout` is lost.
  wire::load_network(p->cfg, timeout);
  if (!tls_dir.empty())
    if (auto st = wire::use_tls(p->cfg, tls_dir); !st)
      return st;
  p->sys = std::make_unique<caf::actor_system>(p->cfg);
  auto head = wire::remote_actor(*p->sys, host, static_cast<uint16_t>(port), !tls_dir.empty());
  if (!head)
    return status::error(errc::io_error,
                         "cannot reach a lagom head: " + p->sys->render(head.error()), host_port);
  p->head = *head;
  p->address = host_port;
  // The token is checked now, so that a wrong one is one clear error here
  // and not a refusal later; it also admits this process for the head's
  // requests without a frame (services, await).
  wire::frame ignored;
  if (auto st = p->ask(timeout, ignored, atoms::status::value,
                       wire::build<schema::StatusRequest>([](auto) {}));
      !st)
    return status::error(st.code(),
                         st.code() == errc::unauthorized
                           ? "the head refused this client: " + st.message()
                           : "the head does not answer: " + st.message(),
                         host_port);
  out.reset(new cluster(std::move(p)));
  return status::ok();
}

status cluster::impl::drive(const caf::actor& driver, caf::duration bound,
                            const std::string& hint, bool cancellable) {
  {
    std::lock_guard<std::mutex> g(drivers_m);
    if (!cancelled.empty()) {
      caf::anon_send_exit(driver, caf::exit_reason::user_shutdown);
      return status::error(errc::unavailable, "cancelled: " + cancelled, "cluster");
    }
    ++driving;
    if (cancellable)
      drivers.push_back(driver);
  }
  struct done_t {
    impl& p;
    const caf::actor& d;
    ~done_t() {
      {
        std::lock_guard<std::mutex> g(p.drivers_m);
        --p.driving;
        p.drivers.erase(std::remove(p.drivers.begin(), p.drivers.end(), d), p.drivers.end());
      }
      p.drivers_cv.notify_all();
    }
  } done{*this, driver};
  caf::scoped_actor self{*sys};
  // Embedded too: the guard answers if the driver ends without answering.
  caf::actor asked = actors::spawn_head_guard(*sys, head, driver, address, hint);
  status st;
  self->request(asked, bound, atoms::launch::value)
    .receive([]() {}, [&](caf::error& err) { st = wire::to_status(err); });
  if (!st)
    caf::anon_send_exit(asked, caf::exit_reason::user_shutdown);
  return st;
}

status cluster::cancel(const std::string& reason, std::chrono::milliseconds grace,
                       uint32_t* runs) {
  {
    std::unique_lock<std::mutex> g(impl_->drivers_m);
    impl_->cancelled = reason.empty() ? "cancelled" : reason;
    for (auto& d : impl_->drivers)
      caf::anon_send(d, atoms::cancel::value, impl_->cancelled);
    impl_->drivers_cv.wait_for(g, grace, [&] { return impl_->driving == 0; });
  }
  if (runs != nullptr)
    *runs = 0;
  if (!impl_->embedded)
    return status::ok();
  actors::cancel_counts n;
  auto st = actors::cancel_running(*impl_->sys, impl_->services.registry, impl_->cancelled,
                                   std::chrono::seconds(5), &n);
  if (runs != nullptr)
    *runs = n.runs;
  return st;
}

status cluster::await(uint32_t nodes, uint32_t running, std::chrono::milliseconds timeout) {
  caf::scoped_actor self{*impl_->sys};
  status out;
  self->request(impl_->head, timeout, atoms::await::value, nodes, running)
    .receive([]() {}, [&](caf::error& err) { out = wire::to_status(err); });
  if (!out && out.code() == errc::timeout)
    return status::error(errc::timeout,
                         "waited " + std::to_string(timeout.count()) + " ms for "
                           + std::to_string(nodes) + " node(s) and " + std::to_string(running)
                           + " running function(s)",
                         "await");
  return out;
}

status cluster::launch(const std::string& function, const launch_options& opts,
                       std::vector<container_outcome>& out) {
  out.clear();
  auto report = std::make_shared<actors::launch_report>();
  auto coord = actors::spawn_launch_coordinator(*impl_->sys, impl_->head, function, opts, report);
  caf::duration bound = opts.timeout.count() > 0 ? caf::duration{opts.timeout} : caf::infinite;
  // A named launch is in the registry: `lagom resume` continues it.
  std::string hint = opts.name.empty() ? std::string()
                                       : "; `lagom resume " + opts.name + "` continues its "
                                         "unfinished runs from their checkpoints once a head "
                                         "runs on its data again";
  if (auto st = impl_->drive(coord, bound, hint, true); !st) {
    // Its death makes cluster_manager reclaim the grant.
    caf::anon_send_exit(coord, caf::exit_reason::user_shutdown);
    return st;
  }
  out = report->outcomes;
  return report->overall;
}

status cluster::describe(cluster_view& out) {
  wire::frame f;
  auto req = wire::build<schema::StatusRequest>([](auto) {});
  if (auto st = impl_->ask(std::chrono::seconds(10), f, atoms::status::value, req); !st)
    return st;
  out = cluster_view{};
  return wire::read<schema::ClusterStatus>(f, [&](schema::ClusterStatus::Reader r) {
    for (auto n : r.getNodes()) {
      node_view v;
      v.id = n.getNodeId();
      v.name = n.getName().cStr();
      v.host = n.getHost().cStr();
      v.cpus = n.getCapacity().getCpus();
      v.cpus_used = n.getUsed().getCpus();
      v.memory_mb = n.getCapacity().getMemoryMb();
      v.memory_used_mb = n.getUsed().getMemoryMb();
      v.gpus = n.getCapacity().getGpus();
      v.gpus_used = n.getUsed().getGpus();
      v.containers = n.getContainers();
      for (auto g : n.getGpus())
        v.gpu_names.push_back(g.getName().cStr());
      out.nodes.push_back(std::move(v));
    }
    out.queued_requests = r.getQueuedRequests();
    out.lost_nodes = r.getLostNodes();
    return status::ok();
  });
}

} // namespace lagom
