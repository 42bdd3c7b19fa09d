#include "actors/node_manager.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <map>

#include <unistd.h>

#include <utility>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/container_exec.hpp"
#include "actors/door.hpp"
#include "actors/gpu_allocator.hpp"
#include "core/log.hpp"
#include "schemas/cluster.capnp.h"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

namespace {
constexpr std::chrono::milliseconds stop_grace{2000};
}

namespace {

using promise = caf::typed_response_promise<wire::frame>;

struct running_container {
  uint32_t cpus = 0;
  promise reply;
  std::shared_ptr<std::atomic<bool>> stop;
  caf::actor owner;     // the experiment's driver, for reports
  // Process mode only.
  wire::frame launch;   // handed to the worker when it attaches
  caf::actor worker;    // the worker's agent, once attached
  pid_t pid = 0;
  bool gpus_bound = false; // gpu_allocator holds GPUs for it
};

struct node_manager_state {
  // Constant after construction.
  node_options opts;
  caf::actor head;
  caf::actor gpus;
  std::shared_ptr<const function_registry> functions;
  std::shared_ptr<spdlog::logger> log;
  uint16_t worker_port = 0;  // process mode: where workers attach
  // Set when accepted.
  uint32_t node_id = 0;
  uint64_t epoch = 0;        // this incarnation's (NodeAccepted), on every run's writes
  trainer_links services;    // registry, checkpointer, logs of the head
  std::chrono::milliseconds heartbeat{200};
  std::chrono::milliseconds timeout{2000};  // the head drops a node silent this long
  // Mutable.
  bool fenced = false;
  uint64_t heartbeat_seq = 0;
  std::map<uint64_t, running_container> running;
  // Process mode: the threads that wait for worker processes, joined when
  // they reported the exit. A container may have two for a moment: its old
  // worker's, exiting, and its new one's; the pid tells them apart.
  struct watcher {
    uint64_t container = 0;
    int32_t pid = 0;  // 0 until the worker attached
    std::thread thread;
  };
  std::vector<watcher> watchers;
  // Told to stop (atoms::cancel, a signal to the node): why, and who waits
  // until its containers ended.
  std::string cancelling;
  uint32_t cancelled = 0; // containers running when it was told
  std::vector<caf::response_promise> drained;

  // A node that ends takes its worker processes with it, frozen ones too
  // (PDEATHSIG covers the node's process dying, not the actor ending), and
  // waits for their watchers, which must not outlive the actor system.
  // Thread containers cannot be killed: they are asked to stop, and their
  // writes carry this incarnation's epoch, which the head refuses once fenced.
  ~node_manager_state() {
    for (auto& kv : running) {
      if (kv.second.stop)
        kv.second.stop->store(true);
      if (kv.second.pid > 0)
        ::kill(kv.second.pid, SIGKILL);
    }
    for (auto& w : watchers)
      if (w.thread.joinable())
        w.thread.join();
  }
};

using self_ptr = caf::stateful_actor<node_manager_state>*;

// The door (actors/door.hpp): every request's frame proves the token.
status check(self_ptr self, const wire::frame& f, const char* verb) {
  return door_check(*self->state.log, f, "node " + self->state.opts.name + ": " + verb,
                    self->current_sender());
}

wire::frame registration(const node_options& o, const function_registry& fns) {
  return wire::build<schema::NodeRegistration>([&](schema::NodeRegistration::Builder b) {
    auto names = fns.names();
    auto fl = b.initFunctions(static_cast<unsigned>(names.size()));
    for (unsigned i = 0; i < names.size(); ++i)
      wire::to_wire(fl[i], *fns.lookup(names[i]));
    b.setName(o.name);
    b.setToken(o.token);
    b.setHost(o.host);
    b.setPid(static_cast<uint32_t>(::getpid()));
    auto cap = b.initCapacity();
    cap.setCpus(o.cpus);
    cap.setMemoryMb(o.memory_mb);
    cap.setGpus(static_cast<uint32_t>(o.gpus.size()));
    auto gl = b.initGpus(static_cast<unsigned>(o.gpus.size()));
    for (unsigned i = 0; i < o.gpus.size(); ++i) {
      gl[i].setIndex(o.gpus[i].ordinal);
      gl[i].setName(o.gpus[i].name);
      gl[i].setMemoryMb(o.gpus[i].memory_mb);
    }
  });
}

// `lagom worker` for one container, bound to its GPUs by CUDA_VISIBLE_DEVICES.
proc::spawn_spec worker_spawn(const node_manager_state& st, const launch_spec& spec) {
  proc::spawn_spec s;
  s.argv = {st.opts.worker_binary, "--data",
            st.opts.shared_data.empty() ? st.opts.data_dir : st.opts.shared_data, "worker",
            "--node",
            "127.0.0.1:" + std::to_string(st.worker_port), "--container",
            std::to_string(spec.where.container_id), "--node-name", st.opts.name};
  std::string visible;
  for (auto g : spec.where.gpus)
    visible += (visible.empty() ? "" : ",") + std::to_string(g);
  s.env_set["CUDA_VISIBLE_DEVICES"] = visible;
  // The worker proves the token on its attach port and to the head's
  // services (the environment, unlike argv, is private to the user).
  s.env_set["LAGOM_TOKEN"] = wire::cluster_token();
  // Its writes carry this incarnation's epoch (supervision/membership.hpp).
  s.env_set["LAGOM_EPOCH"] = std::to_string(st.epoch);
  if (!st.opts.shared_data.empty())
    s.env_set["LAGOM_SHARED_DATA"] = st.opts.shared_data;
  return s;
}

// Delivers the outcome of a container and forgets it.
void complete(self_ptr self, uint64_t container, wire::frame out) {
  auto& st = self->state;
  auto i = st.running.find(container);
  if (i == st.running.end() || i->second.gpus_bound)
    self->send(st.gpus, atoms::unbind::value, container);
  if (i == st.running.end())
    return;
  auto rp = i->second.reply;
  st.running.erase(i);
  // A stopping node's runs did not end on their own: lost, so that their
  // driver restarts them elsewhere (from their checkpoints) or, cancelled
  // itself, records them cancelled.
  if (!st.cancelling.empty())
    out = exit_frame(container, status::error(errc::container_lost,
                                              "node " + st.opts.name + " stopped: " +
                                                st.cancelling,
                                              "container " + std::to_string(container)));
  rp.deliver(std::move(out));
  if (!st.cancelling.empty() && st.running.empty())
    for (auto& p : std::exchange(st.drained, {}))
      p.deliver(st.cancelled);
}

caf::result<wire::frame> on_launch(self_ptr self, const wire::frame& f, caf::actor owner) {
  auto& st = self->state;
  if (auto ok = check(self, f, "launch"); !ok)
    return wire::to_error(ok);
  launch_spec spec;
  if (auto rd = decode_launch(f, st.opts.name, spec); !rd)
    return wire::to_error(rd);
  const uint64_t id = spec.where.container_id;
  const train_fn_registration* fn = st.functions->lookup(spec.function);
  if (fn == nullptr)
    return wire::to_error(status::error(
      errc::not_found, "unknown function '" + spec.function + "'", "node " + st.opts.name));
  if (st.running.count(id) > 0)
    return wire::to_error(status::error(errc::invalid_argument, "already running a function",
                                        "container " + std::to_string(id)));
  auto rp = self->make_response_promise<wire::frame>();
  auto stop = std::make_shared<std::atomic<bool>>(false);
  auto& entry = st.running[id];
  entry = running_container{spec.where.cpus, rp, stop, owner, f, {}, 0};
  auto start = [=]() {
    auto& st = self->state;
    st.log->info("container {} runs {} (rank {}/{}) in a {}", id, spec.function,
                 spec.where.rank, spec.where.world_size,
                 st.opts.process_containers ? "process" : "thread");
    auto me = caf::actor_cast<caf::actor>(self);
    auto links = st.services;
    links.owner = owner;
    links.epoch = st.epoch;
    links.shared_data = st.opts.shared_data;
    if (st.opts.process_containers)
      st.watchers.push_back({id, 0, start_process(me, id, worker_spawn(st, spec))});
    else
      start_thread(me, *fn, spec, stop, links,
                   st.opts.shared_data.empty() ? st.opts.data_dir : st.opts.shared_data);
  };
  // A container without GPUs starts at once (a search runs thousands of
  // trials a second through here); else the GPUs are booked first.
  if (spec.where.gpus.empty()) {
    start();
    return rp;
  }
  entry.gpus_bound = true;
  self->request(st.gpus, std::chrono::seconds(10), atoms::bind::value, id, spec.where.gpus)
    .then([=]() { start(); },
          [=](caf::error& err) mutable {
            self->state.running.erase(id);
            auto p = rp;
            p.deliver(std::move(err));
          });
  return rp;
}

// The head dropped this incarnation (its heartbeat was answered fenced): its
// containers are orphans, whose runs the head has given up (and may run
// elsewhere). They are killed (worker processes: SIGKILL; thread containers
// asked to stop), and the node_manager quits with errc::fenced: its
// supervisor starts a new incarnation, which joins again with a new epoch.
void fenced(self_ptr self, const status& why) {
  auto& st = self->state;
  if (st.fenced)
    return;
  st.fenced = true;
  size_t killed = 0;
  for (auto& [id, c] : st.running) {
    if (c.stop)
      c.stop->store(true);
    if (c.pid > 0) {
      ::kill(c.pid, SIGKILL);
      ++killed;
    }
  }
  st.log->warn("fenced by the head ({}); killed {} orphaned worker process(es), stopped {} "
               "container(s); joining again as a new incarnation",
               why.to_string(), killed, st.running.size());
  self->quit(wire::to_error(why));
}

caf::behavior running(self_ptr self) {
  return {
    [=](atoms::launch, const wire::frame& f, const caf::actor& owner) {
      return on_launch(self, f, owner);
    },
    // A container's outcome: from its thread, or from its worker process.
    [=](atoms::finished, uint64_t container, wire::frame& out) -> caf::result<void> {
      if (auto ok = check(self, out, "finished"); !ok)
        return wire::to_error(ok);
      self->state.log->info("container {} finished", container);
      complete(self, container, std::move(out));
      return caf::unit;
    },
    // Process mode: the watcher thread saw the worker start.
    [=](atoms::attach, uint64_t container, int32_t pid, const wire::frame& f) {
      if (!check(self, f, "watcher"))
        return;
      auto& st = self->state;
      if (auto i = st.running.find(container); i != st.running.end())
        i->second.pid = pid;
      for (auto& w : st.watchers)
        if (w.container == container && w.pid == 0)
          w.pid = pid;
    },
    // Process mode: the worker asks for its launch and where its run's
    // reports (owner), metrics, checkpoints and logs go.
    [=](atoms::attach, uint64_t container, const wire::frame& f)
      -> caf::result<wire::frame, caf::actor, caf::actor, caf::actor, caf::actor> {
      if (auto ok = check(self, f, "attach"); !ok)
        return wire::to_error(ok);
      auto& st = self->state;
      auto i = st.running.find(container);
      if (i == st.running.end())
        return wire::to_error(status::error(errc::not_found, "no such container here",
                                            "container " + std::to_string(container)));
      i->second.worker = caf::actor_cast<caf::actor>(self->current_sender());
      if (i->second.stop->load())
        self->send(i->second.worker, atoms::stop::value, container);
      return {i->second.launch, i->second.owner, st.services.registry,
              st.services.checkpointer, st.services.logs};
    },
    // Process mode: the worker asks where its run reads training datasets.
    [=](atoms::feature_store, const wire::frame& f) -> caf::result<caf::actor> {
      if (auto ok = check(self, f, "feature store"); !ok)
        return wire::to_error(ok);
      return self->state.services.features;
    },
    // Process mode: the worker process ended; if it did not report, say how.
    [=](atoms::exited, uint64_t container, int32_t pid, int32_t wait_status,
        const std::string& what, const wire::frame& f) {
      if (!check(self, f, "watcher"))
        return;
      auto& st = self->state;
      // Its watcher sent this as its last act: join it.
      auto w = std::find_if(st.watchers.begin(), st.watchers.end(), [&](const auto& x) {
        return x.container == container && x.pid == pid;
      });
      if (w != st.watchers.end()) {
        if (w->thread.joinable())
          w->thread.join();
        st.watchers.erase(w);
      }
      auto i = st.running.find(container);
      // It reported its result before exiting; the container may already run
      // its next function, in another worker.
      if (i == st.running.end() || (pid != 0 && i->second.pid != pid))
        return;
      st.log->warn("container {}: worker process {} before returning a result", container,
                   what);
      // The process is gone, not the function's verdict: the run may be
      // restarted elsewhere, like one whose node died.
      complete(self, container,
               exit_frame(container, status::error(
                                       errc::container_lost,
                                       "worker process " + what + " before returning a result",
                                       "container " + std::to_string(container))));
    },
    [=](atoms::cancel, const std::string& why) {
      auto& st = self->state;
      auto rp = self->make_response_promise();
      if (self->current_sender() && self->current_sender()->node() != self->node()) {
        rp.deliver(wire::to_error(status::error(errc::unauthorized, "only from its own process",
                                                "node " + st.opts.name + ": cancel")));
        return rp;
      }
      st.cancelling = why.empty() ? "cancelled" : why;
      st.cancelled = static_cast<uint32_t>(st.running.size());
      if (st.running.empty()) {
        rp.deliver(uint32_t{0});
        return rp;
      }
      st.log->warn("{}: stopping {} container(s)", st.cancelling, st.running.size());
      for (auto& kv : st.running)
        self->send(self, atoms::stop::value, kv.first, proof());
      st.drained.push_back(rp);
      return rp;
    },
    [=](atoms::stop, uint64_t container, const wire::frame& f) {
      if (!check(self, f, "stop"))
        return;
      auto i = self->state.running.find(container);
      if (i == self->state.running.end())
        return;
      self->state.log->info("container {} asked to stop", container);
      i->second.stop->store(true);
      if (i->second.worker)
        self->send(i->second.worker, atoms::stop::value, container);
      // A worker process that does not stop (frozen, or ignoring the request)
      // is killed after a grace period, as a released YARN container is.
      if (i->second.pid > 0)
        self->delayed_send(self, stop_grace, atoms::reap::value, container, i->second.pid,
                           proof());
    },
    [=](atoms::reap, uint64_t container, int32_t pid, const wire::frame& f) {
      if (!check(self, f, "reap"))
        return;
      auto i = self->state.running.find(container);
      if (i == self->state.running.end() || i->second.pid != pid)
        return; // it stopped, and perhaps the container runs another worker now
      self->state.log->warn("container {}: worker process {} did not stop within {} ms; killing it",
                            container, pid, stop_grace.count());
      ::kill(pid, SIGKILL);
    },
    [=](atoms::tick) {
      if (self->current_sender() != self->ctrl())
        return; // only its own timer
      auto& st = self->state;
      uint32_t busy = 0;
      for (auto& kv : st.running)
        busy += kv.second.cpus;
      auto hb = wire::build<schema::Heartbeat>([&](schema::Heartbeat::Builder b) {
        b.setNodeId(st.node_id);
        b.setSeq(++st.heartbeat_seq);
        b.initFree().setCpus(st.opts.cpus > busy ? st.opts.cpus - busy : 0);
        b.setEpoch(st.epoch);
      });
      // Answered unit, or errc::fenced: the head dropped this incarnation.
      // No answer (a partition) is not a verdict: the next tick asks again.
      self->request(st.head, st.timeout, atoms::heartbeat::value, std::move(hb))
        .then([]() {},
              [=](caf::error& e) {
                auto why = wire::to_status(e);
                if (why.code() == errc::fenced)
                  fenced(self, why);
              });
      self->delayed_send(self, st.heartbeat, atoms::tick::value);
    },
  };
}

void join(self_ptr self) {
  auto& st = self->state;
  self->request(st.head, st.opts.join_timeout, atoms::join::value,
                registration(st.opts, *st.functions))
    .then(
      [=](const wire::frame& f) {
        auto& st = self->state;
        auto rd = wire::read<schema::NodeAccepted>(f, [&](schema::NodeAccepted::Reader r) {
          st.node_id = r.getNodeId();
          st.epoch = r.getEpoch();
          st.heartbeat = std::chrono::milliseconds(std::max<uint32_t>(r.getHeartbeatMs(), 10));
          st.timeout = std::chrono::milliseconds(std::max<uint32_t>(r.getTimeoutMs(), 20));
          return status::ok();
        });
        if (!rd) {
          st.log->error("bad answer to join: {}", rd.to_string());
          self->quit(wire::to_error(rd));
          return;
        }
        st.log->info("joined as node {} (epoch {}; {} cpus, {} MB, {} GPU(s))", st.node_id,
                     st.epoch, st.opts.cpus, st.opts.memory_mb, st.opts.gpus.size());
        self->become(running(self));
        self->send(self, atoms::tick::value);
        // Where runs send metrics, checkpoints and logs.
        self->request(st.head, st.opts.join_timeout, atoms::services::value)
          .then(
            [=](caf::actor registry, caf::actor checkpointer, caf::actor logs) {
              auto& s = self->state.services;
              s.registry = registry, s.checkpointer = checkpointer, s.logs = logs;
            },
            [=](caf::error& e) {
              self->state.log->warn("the head offers no services: {}",
                                    wire::to_status(e).to_string());
            });
        // Where runs read training datasets (data=fs:NAME); a head without a
        // feature store leaves it null and such reads fail as unavailable.
        self->request(st.head, std::chrono::seconds(10), atoms::feature_store::value)
          .then([=](caf::actor router) { self->state.services.features = router; },
                [=](caf::error& e) {
                  self->state.log->info("the head has no feature store: {}",
                                        wire::to_status(e).to_string());
                });
      },
      [=](caf::error& err) {
        self->state.log->error("join refused: {}", wire::to_status(err).to_string());
        self->quit(std::move(err));
      });
}

caf::behavior node_manager(self_ptr self, node_options opts, caf::actor head,
                           std::shared_ptr<const function_registry> functions) {
  auto& st = self->state;
  st.log = log::make(opts.name, "node_manager");
  st.gpus = spawn_gpu_allocator(self->system(), opts.name, opts.gpus);
  self->link_to(st.gpus);
  st.head = head;
  st.functions = std::move(functions);
  st.opts = std::move(opts);
  if (st.opts.process_containers) {
    // Workers attach over loopback; the port is the OS's choice.
    auto port = self->system().middleman().publish(caf::actor_cast<caf::actor>(self), 0,
                                                   "127.0.0.1", true);
    if (!port) {
      st.log->error("cannot listen for workers: {}", self->system().render(port.error()));
      self->quit(port.error());
      return {};
    }
    st.worker_port = *port;
    st.log->info("workers attach on 127.0.0.1:{} (each request proves the cluster token)",
                 st.worker_port);
  }
  self->monitor(head);
  self->set_down_handler([=](caf::down_msg& dm) {
    if (dm.source == self->state.head) {
      // Its containers end with it (~node_manager_state): orphans of a
      // cluster that may already run their work elsewhere.
      self->state.log->error("cluster head lost ({}); leaving: stopping its {} container(s)",
                             caf::to_string(dm.reason), self->state.running.size());
      self->quit(wire::to_error(
        status::error(errc::container_lost, "cluster head lost", "node " + self->state.opts.name)));
    }
  });
  // A stopped node_manager's worker processes end with it: see
  // ~node_manager_state (an attached functor would run after the state is gone).
  join(self);
  return {
    [=](atoms::launch, const wire::frame&, const caf::actor&) -> caf::result<wire::frame> {
      return wire::to_error(status::error(errc::unavailable, "node has not joined yet",
                                          "node " + self->state.opts.name));
    },
  };
}

} // namespace

caf::actor spawn_node_manager(caf::actor_system& sys, node_options opts,
                              caf::actor cluster_manager,
                              std::shared_ptr<const function_registry> functions) {
  return sys.spawn(node_manager, std::move(opts), std::move(cluster_manager),
                   std::move(functions));
}

} // namespace lagom::actors
