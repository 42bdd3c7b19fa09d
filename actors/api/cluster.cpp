// The implementation of lagom::cluster (runtime/include/lagom/cluster.hpp).
// Not an actor: it owns the caf::actor_system of an embedding process and
// talks to cluster_manager through blocking requests of a scoped_actor.
#include "actors/api/cluster_impl.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/cluster_manager.hpp"
#include "actors/launch_coordinator.hpp"
#include "actors/node_manager.hpp"
#include "gpu/gpu_discovery.hpp"
#include "wire/atoms.hpp"
#include "wire/configure.hpp"
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
  if (opts.process_containers && opts.worker_binary.empty())
    return status::error(errc::invalid_argument,
                         "process_containers needs worker_binary", "embedded_options");
  auto p = std::make_unique<impl>();
  wire::configure(p->cfg);
  if (opts.process_containers)
    p->cfg.load<caf::io::middleman>(); // workers attach to their node over loopback
  p->sys = std::make_unique<caf::actor_system>(p->cfg);
  p->embedded = true;
  p->data_dir = actors::resolve_data_dir(opts.data_dir);
  if (auto st = actors::spawn_services(*p->sys, actors::resolve_data_dir(opts.data_dir),
                                       p->services);
      !st)
    return st;
  const std::string token = "embedded";
  actors::cluster_options co;
  co.token = token;
  co.registry = p->services.registry;
  co.checkpointer = p->services.checkpointer;
  co.logs = p->services.logs;
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
  auto p = std::make_unique<impl>();
  p->data_dir = actors::resolve_data_dir("");
  wire::configure(p->cfg);
  p->cfg.load<caf::io::middleman>();
  p->cfg.set("middleman.connection-timeout", caf::timespan{timeout});
  p->sys = std::make_unique<caf::actor_system>(p->cfg);
  auto head = p->sys->middleman().remote_actor(host, static_cast<uint16_t>(port));
  if (!head)
    return status::error(errc::io_error,
                         "cannot reach a lagom head: " + p->sys->render(head.error()), host_port);
  p->head = *head;
  out.reset(new cluster(std::move(p)));
  return status::ok();
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
  caf::scoped_actor self{*impl_->sys};
  status st;
  caf::duration bound = opts.timeout.count() > 0 ? caf::duration{opts.timeout} : caf::infinite;
  self->request(coord, bound, atoms::launch::value)
    .receive([]() {}, [&](caf::error& err) { st = wire::to_status(err); });
  if (!st) {
    // Its death makes cluster_manager reclaim the grant.
    self->send_exit(coord, caf::exit_reason::user_shutdown);
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
