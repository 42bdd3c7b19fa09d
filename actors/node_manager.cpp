#include "actors/node_manager.hpp"

#include <chrono>
#include <map>
#include <thread>

#include <unistd.h>

#include <caf/all.hpp>

#include "actors/gpu_allocator.hpp"
#include "core/log.hpp"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

namespace {

using schema_launch = schema::FunctionLaunch;
using promise = caf::typed_response_promise<wire::frame>;

struct running_container {
  uint32_t cpus = 0;
  promise reply;
  std::shared_ptr<std::atomic<bool>> stop;
};

struct node_manager_state {
  // Constant after construction.
  node_options opts;
  caf::actor head;
  caf::actor gpus;
  std::shared_ptr<const function_registry> functions;
  std::shared_ptr<spdlog::logger> log;
  // Set when accepted.
  uint32_t node_id = 0;
  std::chrono::milliseconds heartbeat{200};
  // Mutable.
  uint64_t heartbeat_seq = 0;
  std::map<uint64_t, running_container> running;
};

using self_ptr = caf::stateful_actor<node_manager_state>*;

wire::frame registration(const node_options& o, const function_registry& fns) {
  return wire::build<schema::NodeRegistration>([&](schema::NodeRegistration::Builder b) {
    auto names = fns.names();
    auto fl = b.initFunctions(static_cast<unsigned>(names.size()));
    for (unsigned i = 0; i < names.size(); ++i)
      fl.set(i, names[i]);
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

wire::frame exit_frame(uint64_t container, const status& why) {
  return wire::build<schema::FunctionExit>([&](schema::FunctionExit::Builder b) {
    b.setContainerId(container);
    wire::to_wire(b.initError(), why);
  });
}

// Runs on the container's own thread; the outcome goes back as a message.
void run_container(caf::actor node, train_fn fn, std::string fn_name,
                   train_context::placement where, named_values params,
                   std::shared_ptr<const std::atomic<bool>> stop) {
  auto t0 = std::chrono::steady_clock::now();
  uint64_t id = where.container_id;
  wire::frame out;
  try {
    if (!where.gpus.empty())
      if (auto st = gpu::bind_thread(where.gpus.front()); !st)
        throw std::runtime_error(st.to_string());
    train_context ctx{where, std::move(params), std::move(stop)};
    named_values values = fn(ctx);
    double ms = std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - t0).count();
    out = wire::build<schema::FunctionResult>([&](schema::FunctionResult::Builder b) {
      b.setContainerId(id);
      b.setDevice(ctx.device());
      wire::to_wire(b.initValues(static_cast<unsigned>(values.size())), values);
      b.setElapsedMs(ms);
    });
  } catch (const std::exception& e) {
    out = exit_frame(id, status::error(errc::function_failed, e.what(), fn_name));
  } catch (...) {
    out = exit_frame(id, status::error(errc::function_failed, "unknown exception", fn_name));
  }
  caf::anon_send(node, atoms::finished::value, id, std::move(out));
}

caf::result<wire::frame> on_launch(self_ptr self, const wire::frame& f) {
  auto& st = self->state;
  train_context::placement where;
  std::string fn_name;
  named_values params;
  auto rd = wire::read<schema_launch>(f, [&](schema_launch::Reader r) {
    auto c = r.getContainer();
    where.container_id = c.getId();
    where.node = st.opts.name;
    where.cpus = c.getCpus();
    for (auto g : c.getGpuIds())
      where.gpus.push_back(g);
    where.rank = r.getRank();
    where.world_size = r.getWorldSize();
    fn_name = r.getFunction().cStr();
    params = wire::from_wire(r.getParams());
    return status::ok();
  });
  if (!rd)
    return wire::to_error(rd);
  const train_fn* fn = st.functions->find(fn_name);
  if (fn == nullptr) {
    std::string known;
    for (auto& n : st.functions->names())
      known += (known.empty() ? "" : ", ") + n;
    return wire::to_error(status::error(
      errc::not_found, "unknown function '" + fn_name + "' (registered: " + known + ")",
      "launch"));
  }
  if (st.running.count(where.container_id) > 0)
    return wire::to_error(status::error(errc::invalid_argument, "already running a function",
                                        "container " + std::to_string(where.container_id)));
  auto rp = self->make_response_promise<wire::frame>();
  auto stop = std::make_shared<std::atomic<bool>>(false);
  st.running[where.container_id] = running_container{where.cpus, rp, stop};
  // Book the GPUs first; the thread starts once they are ours.
  self->request(st.gpus, std::chrono::seconds(10), atoms::bind::value, where.container_id,
                where.gpus)
    .then(
      [=, fn = *fn]() {
        self->state.log->info("container {} runs {} (rank {}/{})", where.container_id,
                              fn_name, where.rank, where.world_size);
        std::thread(run_container, caf::actor_cast<caf::actor>(self), fn, fn_name, where,
                    params, stop)
          .detach();
      },
      [=](caf::error& err) mutable {
        self->state.running.erase(where.container_id);
        auto p = rp;
        p.deliver(std::move(err));
      });
  return rp;
}

caf::behavior running(self_ptr self) {
  return {
    [=](atoms::launch, const wire::frame& f) { return on_launch(self, f); },
    [=](atoms::finished, uint64_t container, wire::frame& out) {
      auto& st = self->state;
      self->send(st.gpus, atoms::unbind::value, container);
      auto i = st.running.find(container);
      if (i == st.running.end())
        return;
      st.log->info("container {} finished", container);
      auto rp = i->second.reply;
      st.running.erase(i);
      rp.deliver(std::move(out));
    },
    [=](atoms::stop, uint64_t container) {
      auto i = self->state.running.find(container);
      if (i == self->state.running.end())
        return;
      self->state.log->info("container {} asked to stop", container);
      i->second.stop->store(true);
    },
    [=](atoms::tick) {
      auto& st = self->state;
      uint32_t busy = 0;
      for (auto& kv : st.running)
        busy += kv.second.cpus;
      auto hb = wire::build<schema::Heartbeat>([&](schema::Heartbeat::Builder b) {
        b.setNodeId(st.node_id);
        b.setSeq(++st.heartbeat_seq);
        b.initFree().setCpus(st.opts.cpus > busy ? st.opts.cpus - busy : 0);
      });
      self->send(st.head, atoms::heartbeat::value, std::move(hb));
      self->delayed_send(self, st.heartbeat, atoms::tick::value);
    },
  };
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
  self->monitor(head);
  self->set_down_handler([=](caf::down_msg& dm) {
    if (dm.source == self->state.head) {
      self->state.log->error("cluster head lost ({}); leaving", caf::to_string(dm.reason));
      self->quit(wire::to_error(
        status::error(errc::container_lost, "cluster head lost", "node " + self->state.opts.name)));
    }
  });
  self->request(head, std::chrono::seconds(10), atoms::join::value,
                registration(st.opts, *st.functions))
    .then(
      [=](const wire::frame& f) {
        auto& st = self->state;
        auto rd = wire::read<schema::NodeAccepted>(f, [&](schema::NodeAccepted::Reader r) {
          st.node_id = r.getNodeId();
          st.heartbeat = std::chrono::milliseconds(std::max<uint32_t>(r.getHeartbeatMs(), 10));
          return status::ok();
        });
        if (!rd) {
          st.log->error("bad answer to join: {}", rd.to_string());
          self->quit(wire::to_error(rd));
          return;
        }
        st.log->info("joined as node {} ({} cpus, {} MB, {} GPU(s))", st.node_id,
                     st.opts.cpus, st.opts.memory_mb, st.opts.gpus.size());
        self->become(running(self));
        self->send(self, atoms::tick::value);
      },
      [=](caf::error& err) {
        self->state.log->error("join refused: {}", wire::to_status(err).to_string());
        self->quit(std::move(err));
      });
  return {
    [=](atoms::launch, const wire::frame&) -> caf::result<wire::frame> {
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
