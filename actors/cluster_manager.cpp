#include "actors/cluster_manager.hpp"
#include "actors/connection_fence.hpp"

#include <chrono>
#include <ctime>
#include <map>
#include <set>

#include <caf/all.hpp>

#include "actors/door.hpp"
#include "core/log.hpp"
#include "scheduling/ledger.hpp"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/errors.hpp"
#include "schemas/cluster.capnp.h"
#include "wire/read.hpp"

namespace lagom::actors {

namespace {

using steady = std::chrono::steady_clock;
using promise = caf::typed_response_promise<wire::frame>;

struct node_entry {
  caf::actor handle;
  std::string name;
  std::string host;
  uint32_t pid = 0;
  uint64_t epoch = 0;   // this incarnation's (membership)
  steady::time_point last_seen;
  std::vector<std::pair<std::string, uint64_t>> gpu_names; // name, memory MB
  function_registry functions;                             // specs of what it can run
};

struct cluster_manager_state {
  // Constant after construction.
  cluster_options opts;
  std::shared_ptr<spdlog::logger> log;
  // Mutable.
  scheduling::ledger ledger;
  std::map<uint32_t, node_entry> nodes;
  std::map<uint64_t, caf::actor> owners;        // request id -> owner
  std::map<uint64_t, promise> queued;           // request id -> waiting reply
  std::map<uint64_t, promise> launches;         // container id -> waiting reply
  struct waiter {
    uint32_t nodes, running;
    caf::typed_response_promise<caf::unit_t> reply;
  };
  std::vector<waiter> waiters;                  // (atoms::await) not yet met
  uint32_t next_node_id = 1;
  uint64_t next_request_id = 1;
  uint32_t lost_nodes = 0;
  // Processes that proved the token with a frame: their requests without a
  // frame (services, await) are answered. See check() below.
  std::set<caf::node_id> admitted;
};

using self_ptr = caf::stateful_actor<cluster_manager_state>*;

// The door (actors/door.hpp): a request's frame must prove the token; a
// process that proved it once is admitted for the requests without a frame.
status check(self_ptr self, const wire::frame& f, const char* verb) {
  auto& sender = self->current_sender();
  auto st = door_check(*self->state.log, f, std::string("head: ") + verb, sender);
  if (st && sender && f.proof() == wire::proof::proven)
    self->state.admitted.insert(sender->node());
  return st;
}

// A request without a frame (services, await): answered for this process
// and for processes admitted by an earlier proven frame. (A peer could claim
// an admitted process's node id in a routed BASP message; what these two
// answer is harmless: handles whose every request checks its own frame.)
status check_admitted(self_ptr self, const char* verb) {
  auto& sender = self->current_sender();
  if (sender && (sender->node() == self->node() || self->state.admitted.count(sender->node()) > 0))
    return status::ok();
  wire::frame unproven;
  unproven.set_proof(wire::proof::missing);
  return door_check(*self->state.log, unproven, std::string("head: ") + verb, sender);
}

wire::frame grant_frame(const scheduling::grant& g) {
  return wire::build<schema::ContainerGrant>([&](schema::ContainerGrant::Builder b) {
    b.setRequestId(g.request_id);
    auto list = b.initContainers(static_cast<unsigned>(g.containers.size()));
    for (unsigned i = 0; i < g.containers.size(); ++i)
      wire::to_wire(list[i], g.containers[i]);
  });
}

// Answers every await whose condition now holds.
void check_waiters(self_ptr self) {
  auto& st = self->state;
  for (auto i = st.waiters.begin(); i != st.waiters.end();) {
    if (st.nodes.size() >= i->nodes && st.launches.size() >= i->running) {
      i->reply.deliver(caf::unit);
      i = st.waiters.erase(i);
    } else {
      ++i;
    }
  }
}

// Hands queued requests that now fit their grants, and fails the dropped ones.
void retry_queue(self_ptr self) {
  auto& st = self->state;
  std::vector<std::pair<scheduling::request, status>> dropped;
  for (auto& g : st.ledger.retry(&dropped)) {
    auto i = st.queued.find(g.request_id);
    if (i == st.queued.end())
      continue;
    st.log->info("queued request {} granted {} container(s)", g.request_id, g.containers.size());
    i->second.deliver(grant_frame(g));
    st.queued.erase(i);
  }
  for (auto& [req, why] : dropped) {
    auto i = st.queued.find(req.id);
    if (i == st.queued.end())
      continue;
    i->second.deliver(wire::to_error(why));
    st.queued.erase(i);
  }
}

// Removes a node: its containers are lost, their launches fail, owners hear.
// A node that was shut down on purpose (`clean`) is logged at info, not warn.
void drop_node(self_ptr self, uint32_t node_id, const std::string& why, bool clean = false) {
  auto& st = self->state;
  auto n = st.nodes.find(node_id);
  if (n == st.nodes.end())
    return;
  std::string name = n->second.name;
  uint64_t n_epoch = n->second.epoch;
  // Fenced first: from now on the services refuse its runs' writes, and its
  // next heartbeat is answered errc::fenced.
  st.opts.members->fence(n->second.epoch, why);
  st.nodes.erase(n);
  if (!clean)
    ++st.lost_nodes;
  auto lost = st.ledger.remove_node(node_id);
  st.log->log(clean ? spdlog::level::info : spdlog::level::warn,
              "node {} ({}) removed: {}; {} container(s) lost; epoch {} fenced", node_id, name,
              why, lost.size(), n_epoch);
  std::map<uint64_t, std::vector<uint64_t>> by_request;
  for (auto& c : lost) {
    by_request[c.request_id].push_back(c.id);
    auto l = st.launches.find(c.id);
    if (l != st.launches.end()) {
      l->second.deliver(wire::to_error(status::error(
        errc::container_lost, "node '" + name + "' lost: " + why,
        "container " + std::to_string(c.id))));
      st.launches.erase(l);
    }
  }
  for (auto& [req, ids] : by_request) {
    auto o = st.owners.find(req);
    if (o == st.owners.end())
      continue;
    auto note = wire::build<schema::ContainerLost>([&](schema::ContainerLost::Builder b) {
      auto l = b.initContainerIds(static_cast<unsigned>(ids.size()));
      for (unsigned i = 0; i < ids.size(); ++i)
        l.set(i, ids[i]);
      b.setNodeName(name);
      b.setReason(why);
    });
    self->send(o->second, atoms::release::value, std::move(note));
  }
  retry_queue(self);
}

caf::result<wire::frame> on_join(self_ptr self, const wire::frame& f) {
  auto& st = self->state;
  scheduling::node_spec spec;
  node_entry entry;
  std::string token;
  uint32_t pid = 0;
  auto rd = wire::read<schema::NodeRegistration>(f, [&](schema::NodeRegistration::Reader r) {
    spec.name = r.getName().cStr();
    token = r.getToken().cStr();
    entry.host = r.getHost().cStr();
    pid = r.getPid();
    auto cap = r.getCapacity();
    spec.capacity = {cap.getCpus(), cap.getMemoryMb(), 0};
    for (auto g : r.getGpus()) {
      spec.gpu_ordinals.push_back(g.getIndex());
      entry.gpu_names.emplace_back(g.getName().cStr(), g.getMemoryMb());
    }
    spec.capacity.gpus = static_cast<uint32_t>(spec.gpu_ordinals.size());
    for (auto fn : r.getFunctions())
      entry.functions.add(wire::from_wire(fn));
    return status::ok();
  });
  if (!rd)
    return wire::to_error(rd);
  std::string who = "node '" + spec.name + "' (" + entry.host + ", pid " + std::to_string(pid) + ")";
  // The frame must prove the token (actors/door.hpp) and name it: both
  // compared in constant time.
  bool proven = f.proof() == wire::proof::local || f.proof() == wire::proof::proven;
  if (!proven || !wire::token_equal(token, st.opts.token)) {
    bool missing = token.empty() || f.proof() == wire::proof::missing;
    st.log->warn("refused {}: {} cluster token", who, missing ? "missing" : "wrong");
    return wire::to_error(status::error(
      errc::unauthorized, missing ? "missing cluster token" : "wrong cluster token", who));
  }
  // A join whose sender CAF could not resolve: seen when a partitioned node
  // reconnects while the head's connection to its old incarnation still
  // stands (connection_fence.hpp closes that one when it drops a node).
  // No handle to watch or answer: refused; the node's join times out and it
  // tries again.
  auto& sender = self->current_sender();
  if (!sender) {
    st.log->warn("refused {}: its join came without a sender to answer", who);
    return wire::to_error(
      status::error(errc::unavailable, "join without a sender; try again", who));
  }
  if (f.proof() == wire::proof::proven)
    st.admitted.insert(sender->node());
  // The same process joining again (it learned it was fenced, or lost its
  // connection before the head noticed): its old incarnation is superseded.
  for (auto& [id, old] : st.nodes)
    if (old.name == spec.name) {
      if (old.host != entry.host || old.pid != pid)
        break; // another process: the ledger refuses the name below
      drop_node(self, id, "superseded by a new incarnation of the same process");
      break;
    }
  spec.id = st.next_node_id++;
  if (auto added = st.ledger.add_node(spec); !added)
    return wire::to_error(added);
  entry.handle = caf::actor_cast<caf::actor>(sender);
  entry.name = spec.name;
  entry.pid = pid;
  entry.epoch = st.opts.members->admit(spec.name);
  const uint64_t epoch = entry.epoch;
  entry.last_seen = steady::now();
  self->monitor(entry.handle);
  st.nodes.emplace(spec.id, std::move(entry));
  st.log->info("{} joined as node {} (epoch {}): {} cpus, {} MB, {} GPU(s)", who, spec.id,
               supervision::epoch_text(epoch), spec.capacity.cpus, spec.capacity.memory_mb,
               spec.capacity.gpus);
  retry_queue(self);
  check_waiters(self);
  return wire::build<schema::NodeAccepted>([&](schema::NodeAccepted::Builder b) {
    b.setNodeId(spec.id);
    b.setHeartbeatMs(st.opts.heartbeat_ms);
    b.setTimeoutMs(st.opts.timeout_ms);
    b.setEpoch(epoch);
  });
}

// A heartbeat of a live incarnation refreshes it; any other is told it was
// fenced (the node then kills its orphaned containers and joins again).
caf::result<caf::unit_t> on_heartbeat(self_ptr self, const wire::frame& f) {
  if (auto ok = check(self, f, "heartbeat"); !ok)
    return wire::to_error(ok);
  auto& st = self->state;
  uint32_t id = 0;
  uint64_t epoch = 0;
  auto rd = wire::read<schema::Heartbeat>(f, [&](schema::Heartbeat::Reader r) {
    id = r.getNodeId();
    epoch = r.getEpoch();
    return status::ok();
  });
  if (!rd)
    return wire::to_error(rd);
  auto n = st.nodes.find(id);
  if (n != st.nodes.end() && n->second.epoch == epoch) {
    n->second.last_seen = steady::now();
    return caf::unit;
  }
  auto why = st.opts.members->why_not_live(epoch);
  if (why.empty())
    why = "epoch " + supervision::epoch_text(epoch) + " is not node " + std::to_string(id) + "'s";
  return wire::to_error(status::error(errc::fenced, why + "; join again as a new incarnation",
                                      "head: heartbeat of node " + std::to_string(id)));
}

// A request naming a function is refused unless every node can run it (all
// nodes run the same binary; a node that cannot is a deployment error) and
// its hyperparameters fit the function's spec. A budgeted search's
// `budget_key` the function does not take gets an error that says to set
// resource= and names the function's integer hyperparameters.
status check_function(const cluster_manager_state& st, const std::string& fn,
                      named_values params, const std::string& budget_key) {
  if (fn.empty())
    return status::ok();
  for (auto& [id, n] : st.nodes)
    if (n.functions.lookup(fn) == nullptr) {
      std::string known;
      for (auto& k : n.functions.names())
        known += (known.empty() ? "" : ", ") + k;
      return status::error(errc::not_found,
                           "unknown function '" + fn + "' (registered: " + known + ")",
                           "node '" + n.name + "'");
    }
  if (st.nodes.empty())
    return status::ok();
  const auto& functions = st.nodes.begin()->second.functions;
  const train_fn_registration* reg = functions.lookup(fn);
  if (!budget_key.empty() && reg != nullptr && !reg->open) {
    bool takes = false;
    std::string integers;
    for (auto& p : reg->params) {
      takes |= p.name == budget_key;
      if (p.type == param_spec::kind::integer)
        integers += (integers.empty() ? "" : ", ") + p.name;
    }
    if (!takes)
      return status::error(
        errc::invalid_argument,
        "the optimizer gives each trial its budget in hyperparameter '" + budget_key + "', which '" +
          fn + "' does not take; set resource= to one of its integer hyperparameters (" +
          (integers.empty() ? "it has none" : integers) + ")",
        fn + ": resource");
  }
  return functions.check(fn, params);
}

caf::result<wire::frame> on_request(self_ptr self, const wire::frame& f) {
  auto& st = self->state;
  if (auto ok = check(self, f, "request"); !ok)
    return wire::to_error(ok);
  scheduling::request req;
  std::string function, budget_key;
  named_values params;
  auto rd = wire::read<schema::ContainerRequest>(f, [&](schema::ContainerRequest::Reader r) {
    req.owner = r.getOwner().cStr();
    req.count = r.getCount();
    auto each = r.getEach();
    req.each = {each.getCpus(), each.getMemoryMb(), each.getGpus()};
    req.gang = r.getGang();
    req.place = r.getPlacement() == schema::Placement::SPREAD ? scheduling::placement::spread
                                                              : scheduling::placement::pack;
    req.queue = r.getQueue();
    function = r.getFunction().cStr();
    params = wire::from_wire(r.getParams());
    budget_key = r.getBudgetKey().cStr();
    return status::ok();
  });
  if (!rd)
    return wire::to_error(rd);
  if (auto known = check_function(st, function, params, budget_key); !known)
    return wire::to_error(known);
  req.id = st.next_request_id++;
  auto owner = caf::actor_cast<caf::actor>(self->current_sender());
  auto out = st.ledger.submit(req);
  switch (out.what) {
    case scheduling::outcome::granted:
      st.owners[req.id] = owner;
      if (owner)
        self->monitor(owner);
      st.log->info("request {} by '{}' granted {} container(s)", req.id, req.owner,
                   out.granted_containers.containers.size());
      return grant_frame(out.granted_containers);
    case scheduling::outcome::queued: {
      st.owners[req.id] = owner;
      if (owner)
        self->monitor(owner);
      st.log->info("request {} by '{}' queued", req.id, req.owner);
      auto rp = self->make_response_promise<wire::frame>();
      st.queued[req.id] = rp;
      return rp;
    }
    case scheduling::outcome::rejected:
      break;
  }
  return wire::to_error(out.why);
}

caf::result<caf::unit_t> on_release(self_ptr self, const wire::frame& f) {
  if (auto ok = check(self, f, "release"); !ok)
    return wire::to_error(ok);
  std::vector<uint64_t> ids;
  auto rd = wire::read<schema::ContainerRelease>(f, [&](schema::ContainerRelease::Reader r) {
    for (auto id : r.getContainerIds())
      ids.push_back(id);
    return status::ok();
  });
  if (!rd)
    return wire::to_error(rd);
  // A function still running in a released container is asked to stop.
  auto& state = self->state;
  for (auto id : ids) {
    auto c = state.ledger.containers().find(id);
    if (c == state.ledger.containers().end() || state.launches.count(id) == 0)
      continue;
    if (auto n = state.nodes.find(c->second.node_id); n != state.nodes.end())
      self->send(n->second.handle, atoms::stop::value, id, proof());
  }
  auto st = state.ledger.release(ids);
  retry_queue(self);
  if (!st)
    return wire::to_error(st);
  return caf::unit;
}

caf::result<wire::frame> on_launch(self_ptr self, const wire::frame& f,
                                   const caf::actor& owner) {
  auto& st = self->state;
  if (auto ok = check(self, f, "launch"); !ok)
    return wire::to_error(ok);
  uint64_t id = 0;
  auto rd = wire::read<schema::FunctionLaunch>(f, [&](schema::FunctionLaunch::Reader r) {
    id = r.getContainer().getId();
    return status::ok();
  });
  if (!rd)
    return wire::to_error(rd);
  auto c = st.ledger.containers().find(id);
  if (c == st.ledger.containers().end())
    return wire::to_error(status::error(errc::not_found, "no such container (released or lost)",
                                        "container " + std::to_string(id)));
  auto n = st.nodes.find(c->second.node_id);
  if (n == st.nodes.end())
    return wire::to_error(status::error(errc::container_lost, "its node is gone",
                                        "container " + std::to_string(id)));
  if (st.launches.count(id) > 0)
    return wire::to_error(status::error(errc::invalid_argument, "already running a function",
                                        "container " + std::to_string(id)));
  auto rp = self->make_response_promise<wire::frame>();
  st.launches[id] = rp;
  auto finish = [=](auto&& outcome) {
    auto i = self->state.launches.find(id);
    if (i == self->state.launches.end())
      return; // already failed as lost
    i->second.deliver(std::forward<decltype(outcome)>(outcome));
    self->state.launches.erase(i);
  };
  check_waiters(self);
  self->request(n->second.handle, caf::infinite, atoms::launch::value, f, owner)
    .then([=](wire::frame& out) { finish(std::move(out)); },
          [=](caf::error& err) { finish(std::move(err)); });
  return rp;
}

wire::frame status_frame(self_ptr self) {
  auto& st = self->state;
  return wire::build<schema::ClusterStatus>([&](schema::ClusterStatus::Builder b) {
    auto list = b.initNodes(static_cast<unsigned>(st.nodes.size()));
    unsigned i = 0;
    for (auto& [id, entry] : st.nodes) {
      auto& use = st.ledger.nodes().at(id);
      auto nb = list[i++];
      nb.setNodeId(id);
      nb.setName(entry.name);
      nb.setHost(entry.host);
      auto cap = nb.initCapacity();
      cap.setCpus(use.spec.capacity.cpus);
      cap.setMemoryMb(use.spec.capacity.memory_mb);
      cap.setGpus(use.spec.capacity.gpus);
      auto used = nb.initUsed();
      used.setCpus(use.used.cpus);
      used.setMemoryMb(use.used.memory_mb);
      used.setGpus(use.used.gpus);
      nb.setContainers(use.containers);
      auto gl = nb.initGpus(static_cast<unsigned>(entry.gpu_names.size()));
      for (unsigned k = 0; k < entry.gpu_names.size(); ++k) {
        gl[k].setIndex(use.spec.gpu_ordinals[k]);
        gl[k].setName(entry.gpu_names[k].first);
        gl[k].setMemoryMb(entry.gpu_names[k].second);
      }
    }
    b.setQueuedRequests(static_cast<uint32_t>(st.ledger.queued()));
    b.setLostNodes(st.lost_nodes);
  });
}

void on_down(self_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  for (auto& [id, entry] : st.nodes)
    if (entry.handle.address() == dm.source) {
      if (dm.reason == caf::exit_reason::user_shutdown)
        drop_node(self, id, "shut down", true);
      else
        drop_node(self, id, "connection lost (" + caf::to_string(dm.reason) + ")");
      return;
    }
  // An owner died: free what it held and forget its queued requests.
  std::vector<uint64_t> mine;
  for (auto i = st.owners.begin(); i != st.owners.end();) {
    if (i->second.address() != dm.source) {
      ++i;
      continue;
    }
    for (auto& [cid, c] : st.ledger.containers())
      if (c.request_id == i->first)
        mine.push_back(cid);
    st.queued.erase(i->first);
    i = st.owners.erase(i);
  }
  if (!mine.empty()) {
    st.log->info("owner gone; reclaiming {} container(s)", mine.size());
    st.ledger.release(mine);
  }
  retry_queue(self);
}

caf::behavior cluster_manager(self_ptr self, cluster_options opts) {
  self->state.opts = std::move(opts);
  if (!self->state.opts.members)
    self->state.opts.members = std::make_shared<supervision::membership>(
      static_cast<uint32_t>(std::time(nullptr)));
  self->state.log = log::make("head", "cluster_manager");
  self->set_down_handler([=](caf::down_msg& dm) { on_down(self, dm); });
  self->send(self, atoms::tick::value);
  return {
    [=](atoms::join, const wire::frame& f) { return on_join(self, f); },
    [=](atoms::heartbeat, const wire::frame& f) { return on_heartbeat(self, f); },
    [=](atoms::request, const wire::frame& f) { return on_request(self, f); },
    [=](atoms::release, const wire::frame& f) { return on_release(self, f); },
    [=](atoms::launch, const wire::frame& f, const caf::actor& owner) {
      return on_launch(self, f, owner);
    },
    [=](atoms::status, const wire::frame& f) -> caf::result<wire::frame> {
      if (auto ok = check(self, f, "status"); !ok)
        return wire::to_error(ok);
      return status_frame(self);
    },
    [=](atoms::services) -> caf::result<caf::actor, caf::actor, caf::actor> {
      if (auto ok = check_admitted(self, "services"); !ok)
        return wire::to_error(ok);
      auto& o = self->state.opts;
      if (!o.registry || !o.checkpointer || !o.logs)
        return wire::to_error(status::error(errc::unavailable,
                                            "this head runs no experiment services", "services"));
      return {o.registry, o.checkpointer, o.logs};
    },
    [=](atoms::feature_store) -> caf::result<caf::actor> {
      if (auto ok = check_admitted(self, "feature_store"); !ok)
        return wire::to_error(ok);
      if (!self->state.opts.feature_store)
        return wire::to_error(status::error(errc::unavailable,
                                            "this head runs no feature store", "feature_store"));
      return self->state.opts.feature_store;
    },
    [=](atoms::fs_online) -> caf::result<uint16_t> {
      if (auto ok = check_admitted(self, "fs_online"); !ok)
        return wire::to_error(ok);
      return self->state.opts.online_port;
    },
    [=](atoms::await, uint32_t nodes, uint32_t running) -> caf::result<caf::unit_t> {
      if (auto ok = check_admitted(self, "await"); !ok)
        return wire::to_error(ok);
      auto rp = self->make_response_promise<caf::unit_t>();
      self->state.waiters.push_back({nodes, running, rp});
      check_waiters(self);
      return rp;
    },
    [=](atoms::tick) {
      if (self->current_sender() != self->ctrl())
        return; // only its own timer
      auto& st = self->state;
      auto timeout = std::chrono::milliseconds(st.opts.timeout_ms);
      auto now = steady::now();
      std::vector<uint32_t> silent;
      for (auto& [id, entry] : st.nodes)
        if (now - entry.last_seen > timeout)
          silent.push_back(id);
      for (auto id : silent) {
        auto& n = st.nodes.at(id);
        auto handle = n.handle;
        auto who = "node " + std::to_string(id) + " (" + n.name + ")";
        drop_node(self, id, "no heartbeat for " + std::to_string(st.opts.timeout_ms) + " ms");
        // Its CAF connection goes too (actors/connection_fence.hpp): a
        // healed node then reconnects as on its first join.
        fence_connection(self, handle, who, st.log);
      }
      self->delayed_send(self, std::chrono::milliseconds(st.opts.heartbeat_ms),
                         atoms::tick::value);
    },
  };
}

} // namespace

caf::actor spawn_cluster_manager(caf::actor_system& sys, cluster_options opts) {
  return sys.spawn(cluster_manager, std::move(opts));
}

} // namespace lagom::actors
