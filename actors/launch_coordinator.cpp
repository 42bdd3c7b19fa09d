#include "actors/launch_coordinator.hpp"

#include <caf/all.hpp>

#include "core/log.hpp"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

namespace {

struct launch_coordinator_state {
  // Constant after construction.
  caf::actor head;
  std::string function;
  launch_options opts;
  std::shared_ptr<launch_report> report;
  std::shared_ptr<spdlog::logger> log;
  // Mutable.
  caf::typed_response_promise<caf::unit_t> done;
  std::vector<wire::frame> launches;      // by rank
  size_t pending = 0;
  bool gang_stopped = false;              // a gang member failed: rest released
};

using self_ptr = caf::stateful_actor<launch_coordinator_state>*;

wire::frame request_frame(const std::string& function, const launch_options& o) {
  return wire::build<schema::ContainerRequest>([&](schema::ContainerRequest::Builder b) {
    b.setOwner(o.owner);
    b.setFunction(function);
    wire::to_wire(b.initParams(static_cast<unsigned>(o.params.size())), o.params);
    b.setCount(o.all ? 1u << 16 : o.count);
    auto each = b.initEach();
    each.setCpus(o.cpus);
    each.setMemoryMb(o.memory_mb);
    each.setGpus(o.gpus);
    b.setGang(o.gang && !o.all);
    b.setPlacement(o.spread ? schema::Placement::SPREAD : schema::Placement::PACK);
    b.setQueue(o.queue);
  });
}

// Reads the grant into outcomes (one per container) and launch frames.
status read_grant(self_ptr self, const wire::frame& f) {
  auto& st = self->state;
  return wire::read<schema::ContainerGrant>(f, [&](schema::ContainerGrant::Reader r) {
    auto list = r.getContainers();
    uint32_t n = list.size();
    for (uint32_t i = 0; i < n; ++i) {
      auto c = list[i];
      container_outcome out;
      out.container_id = c.getId();
      out.node = c.getNodeName().cStr();
      out.cpus = c.getCpus();
      for (auto g : c.getGpuIds())
        out.gpus.push_back(g);
      out.rank = i;
      st.report->outcomes.push_back(out);
      st.launches.push_back(wire::build<schema::FunctionLaunch>(
        [&](schema::FunctionLaunch::Builder b) {
          b.setContainer(c);
          b.setFunction(st.function);
          b.setRank(i);
          b.setWorldSize(n);
          wire::to_wire(b.initParams(static_cast<unsigned>(st.opts.params.size())),
                        st.opts.params);
        }));
    }
    return status::ok();
  });
}

void record(self_ptr self, size_t rank, const wire::frame& f) {
  auto& out = self->state.report->outcomes[rank];
  if (f.schema() == wire::schema_id<schema::FunctionExit>()) {
    auto rd = wire::read<schema::FunctionExit>(f, [&](schema::FunctionExit::Reader r) {
      out.result = wire::from_wire(r.getError());
      return status::ok();
    });
    if (!rd)
      out.result = rd;
    return;
  }
  auto rd = wire::read<schema::FunctionResult>(f, [&](schema::FunctionResult::Reader r) {
    out.device = r.getDevice().cStr();
    out.values = wire::from_wire(r.getValues());
    out.elapsed_ms = r.getElapsedMs();
    return status::ok();
  });
  out.result = rd;
}

wire::frame release_all(const launch_report& report) {
  return wire::build<schema::ContainerRelease>([&](schema::ContainerRelease::Builder b) {
    auto ids = b.initContainerIds(static_cast<unsigned>(report.outcomes.size()));
    for (unsigned i = 0; i < report.outcomes.size(); ++i)
      ids.set(i, report.outcomes[i].container_id);
  });
}

void finish_one(self_ptr self, size_t rank) {
  auto& st = self->state;
  // A gang is one job: when a member fails or is lost, the others are
  // released at once, which asks their functions to stop.
  if (st.opts.gang && !st.gang_stopped && !st.report->outcomes[rank].result) {
    st.gang_stopped = true;
    st.log->warn("gang member rank {} failed ({}); stopping the other {}", rank,
                 st.report->outcomes[rank].result.to_string(), st.pending - 1);
    // Containers of a lost node are unknown to the head by now: its error
    // reply for them is expected and ignored.
    self->request(st.head, std::chrono::seconds(10), atoms::release::value,
                  release_all(*st.report))
      .then([]() {}, [](caf::error&) {});
  }
  if (--st.pending > 0)
    return;
  auto rel = release_all(*st.report);
  // Containers of a lost node are already gone from the ledger: the release
  // then reports them unknown, which is expected here.
  self->request(st.head, std::chrono::seconds(10), atoms::release::value, std::move(rel))
    .then([=]() { self->state.done.deliver(caf::unit); self->quit(); },
          [=](caf::error&) { self->state.done.deliver(caf::unit); self->quit(); });
}

void start(self_ptr self) {
  auto& st = self->state;
  self->request(st.head, caf::infinite, atoms::request::value, request_frame(st.function, st.opts))
    .then(
      [=](const wire::frame& grant) {
        auto& st = self->state;
        if (auto rd = read_grant(self, grant); !rd) {
          st.report->overall = rd;
          st.done.deliver(caf::unit);
          self->quit();
          return;
        }
        st.pending = st.launches.size();
        st.log->info("{} container(s) granted for '{}'", st.pending, st.function);
        for (size_t rank = 0; rank < st.launches.size(); ++rank)
          self->request(st.head, caf::infinite, atoms::launch::value, st.launches[rank])
            .then(
              [=](const wire::frame& out) {
                record(self, rank, out);
                finish_one(self, rank);
              },
              [=](caf::error& err) {
                self->state.report->outcomes[rank].result = wire::to_status(err);
                finish_one(self, rank);
              });
      },
      [=](caf::error& err) {
        self->state.report->overall = wire::to_status(err);
        self->state.done.deliver(caf::unit);
        self->quit();
      });
}

caf::behavior launch_coordinator(self_ptr self, caf::actor head, std::string function,
                                 launch_options opts, std::shared_ptr<launch_report> report) {
  auto& st = self->state;
  st.head = std::move(head);
  st.function = std::move(function);
  st.opts = std::move(opts);
  st.report = std::move(report);
  st.log = log::make("client", "launch_coordinator");
  return {
    [=](atoms::launch) {
      self->state.done = self->make_response_promise<caf::unit_t>();
      start(self);
      return self->state.done;
    },
    [=](atoms::release, const wire::frame& lost) {
      wire::read<schema::ContainerLost>(lost, [&](schema::ContainerLost::Reader r) {
        self->state.log->warn("{} container(s) lost with node '{}': {}",
                              r.getContainerIds().size(), r.getNodeName().cStr(),
                              r.getReason().cStr());
        return status::ok();
      });
    },
  };
}

} // namespace

caf::actor spawn_launch_coordinator(caf::actor_system& sys, caf::actor cluster_manager,
                                    std::string function, launch_options opts,
                                    std::shared_ptr<launch_report> report) {
  return sys.spawn(launch_coordinator, std::move(cluster_manager), std::move(function),
                   std::move(opts), std::move(report));
}

} // namespace lagom::actors
