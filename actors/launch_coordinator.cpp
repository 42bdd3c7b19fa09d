#include "actors/launch_coordinator.hpp"

#include <caf/all.hpp>

#include "actors/driver_frames.hpp"
#include "actors/experiment_frames.hpp"
#include "actors/launch_record.hpp"
#include "core/log.hpp"
#include "scheduling/ledger.hpp"
#include "schemas/cluster.capnp.h"
#include "schemas/experiment.capnp.h"
#include "supervision/restart_policy.hpp"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

namespace {

using granted = scheduling::container; // one container as granted


struct launch_coordinator_state {
  // Constant after construction.
  caf::actor head;
  std::string function;
  launch_options opts;
  std::shared_ptr<launch_report> report;
  std::shared_ptr<spdlog::logger> log;
  // Mutable.
  caf::actor registry;
  uint64_t experiment_id = 0;
  supervision::restart_policy policy;
  caf::typed_response_promise<caf::unit_t> done;
  std::vector<granted> containers;  // by rank, the current one
  size_t pending = 0;               // runs not ended
  bool gang_stopped = false;        // a gang member failed: rest released
  std::string cancelled;            // not empty: cancelled (atoms::cancel), why
  std::vector<bool> ended;          // by rank: its end was counted
  int name_tries = 0;
  std::vector<uint32_t> todo;       // resume: the ranks to run again (else empty)
};

using self_ptr = caf::stateful_actor<launch_coordinator_state>*;

// --- frames ------------------------------------------------------------------

wire::frame request_frame(const std::string& function, const launch_options& o,
                          uint32_t count, bool gang, bool queue) {
  return wire::build<schema::ContainerRequest>([&](schema::ContainerRequest::Builder b) {
    b.setOwner(o.owner);
    b.setFunction(function);
    wire::to_wire(b.initParams(static_cast<unsigned>(o.params.size())), o.params);
    b.setCount(count);
    auto each = b.initEach();
    each.setCpus(o.cpus);
    each.setMemoryMb(o.memory_mb);
    each.setGpus(o.gpus);
    b.setGang(gang);
    b.setPlacement(o.spread ? schema::Placement::SPREAD : schema::Placement::PACK);
    b.setQueue(queue);
  });
}

wire::frame launch_frame(const launch_coordinator_state& st, uint32_t rank) {
  auto& c = st.containers[rank];
  auto& o = st.report->outcomes[rank];
  return wire::build<schema::FunctionLaunch>([&](schema::FunctionLaunch::Builder b) {
    wire::to_wire(b.initContainer(), c);
    b.setFunction(st.function);
    b.setRank(rank);
    b.setWorldSize(static_cast<uint32_t>(st.containers.size()));
    wire::to_wire(b.initParams(static_cast<unsigned>(st.opts.params.size())), st.opts.params);
    b.setExperiment(st.report->experiment);
    b.setExperimentId(st.experiment_id);
    b.setRun(rank);
    b.setAttempt(o.attempts);
  });
}

// --- the registry (best effort: a launch goes on without one) ----------------

void record_run(self_ptr self, uint32_t rank, storage::run_status s,
                const std::string& error = {}) {
  auto& st = self->state;
  if (!st.registry)
    return;
  auto& o = st.report->outcomes[rank];
  auto f = frames::run_update(st.experiment_id,
                              frames::outcome_change(rank, s, st.opts.params, o, error));
  self->request(st.registry, service_timeout, atoms::run_update::value, std::move(f))
    .then([]() {}, [=](caf::error& e) {
      self->state.log->warn("run {} not recorded: {}", rank, wire::to_status(e).to_string());
    });
}

void progress(self_ptr self, progress_event::kind_t kind, uint32_t rank,
              const std::string& error = {}) {
  auto& st = self->state;
  if (!st.opts.on_progress)
    return;
  auto& o = st.report->outcomes[rank];
  progress_event ev;
  ev.kind = kind;
  ev.experiment = st.report->experiment;
  ev.run = rank;
  ev.attempt = o.attempts;
  ev.node = o.node;
  ev.metrics = o.values;
  ev.error = error;
  st.opts.on_progress(ev);
}

// --- runs --------------------------------------------------------------------

void finish(self_ptr self) {
  auto& st = self->state;
  std::vector<uint64_t> ids;
  bool all_ok = true;
  for (size_t r = 0; r < st.containers.size(); ++r) {
    if (st.containers[r].id != 0) // resume: a finished run holds none
      ids.push_back(st.containers[r].id);
    all_ok = all_ok && st.report->outcomes[r].result.is_ok();
  }
  if (st.registry) {
    auto end = wire::build<schema::ExperimentEnd>([&](schema::ExperimentEnd::Builder b) {
      b.setExperimentId(st.experiment_id);
      b.setStatus(!st.cancelled.empty() ? "stopped" : all_ok ? "finished" : "failed");
    });
    self->send(st.registry, atoms::exp_end::value, std::move(end));
  }
  // Containers of a lost node are unknown to the head by now: its error
  // reply for them is expected and ignored.
  self->request(st.head, service_timeout, atoms::release::value, release_frame(ids))
    .then([=]() { self->state.done.deliver(caf::unit); self->quit(); },
          [=](caf::error&) { self->state.done.deliver(caf::unit); self->quit(); });
}

void launch_run(self_ptr self, uint32_t rank);

void release_all(self_ptr self) {
  std::vector<uint64_t> ids;
  for (auto& c : self->state.containers)
    ids.push_back(c.id);
  self->request(self->state.head, service_timeout, atoms::release::value, release_frame(ids))
    .then([]() {}, [](caf::error&) {});
}

// A run ended (`out` is its reply, or `err` when there was none).
void run_ended(self_ptr self, uint32_t rank, status result) {
  auto& st = self->state;
  if (st.ended[rank])
    return; // a cancelled run's late answer
  auto& o = st.report->outcomes[rank];
  o.result = result;
  if (!st.cancelled.empty()) {
    // Whatever it answered, it was cut short: cancelled, with why.
    o.result = status::error(errc::unavailable, "cancelled: " + st.cancelled,
                             "run " + std::to_string(rank));
    record_run(self, rank, storage::run_status::cancelled, o.result.message());
    progress(self, progress_event::failed, rank, o.result.to_string());
  } else if (result) {
    record_run(self, rank, storage::run_status::finished);
    progress(self, progress_event::finished, rank);
  } else if (result.code() == errc::container_lost && !st.opts.gang && !st.gang_stopped) {
    auto d = st.policy.on_failure("run " + std::to_string(rank), {"run " + std::to_string(rank)},
                                  supervision::clock::now());
    record_run(self, rank, storage::run_status::lost, result.to_string());
    if (d.restart) {
      st.log->warn("run {} lost ({}); restarting in {} ms", rank, result.to_string(),
                   d.delay.count());
      progress(self, progress_event::restarting, rank, result.to_string());
      self->delayed_send(self, d.delay, atoms::restart::value, uint64_t{rank});
      return; // still pending
    }
    o.result = status::error(result.code(), result.message() + " (" + d.reason + ")",
                             result.where());
    progress(self, progress_event::failed, rank, o.result.to_string());
  } else {
    record_run(self, rank, storage::run_status::failed, result.to_string());
    progress(self, progress_event::failed, rank, result.to_string());
  }
  if (st.opts.gang && !st.gang_stopped && !o.result) {
    st.gang_stopped = true;
    st.log->warn("gang member rank {} failed ({}); stopping the other {}", rank,
                 o.result.to_string(), st.pending - 1);
    std::vector<uint64_t> ids;
    for (auto& c : st.containers)
      if (c.id != 0)
        ids.push_back(c.id);
    self->request(st.head, service_timeout, atoms::release::value, release_frame(ids))
      .then([]() {}, [](caf::error&) {});
  }
  st.ended[rank] = true;
  if (--st.pending == 0)
    finish(self);
}

// Told to stop (a signal to the process): every run's function is asked to
// stop (its containers released: the head stops them, and they checkpoint
// as they return); each run is recorded cancelled as it answers, or after
// cancel_grace for those that do not. A launch not yet granted ends at once.
constexpr std::chrono::seconds cancel_grace{5};

void cancel(self_ptr self, const std::string& why) {
  auto& st = self->state;
  if (!st.cancelled.empty())
    return;
  st.cancelled = why.empty() ? "cancelled" : why;
  st.log->warn("cancelled ({}): stopping {} run(s)", st.cancelled, st.pending);
  if (st.containers.empty()) { // nothing granted yet: nothing runs; its death drops the request
    if (st.registry && st.experiment_id != 0)
      self->send(st.registry, atoms::exp_end::value,
                 wire::build<schema::ExperimentEnd>([&](schema::ExperimentEnd::Builder b) {
                   b.setExperimentId(st.experiment_id);
                   b.setStatus("stopped");
                 }));
    st.report->overall = status::error(errc::unavailable, "cancelled: " + st.cancelled, "launch");
    st.done.deliver(caf::unit);
    self->quit();
    return;
  }
  release_all(self);
  self->delayed_send(self, cancel_grace, atoms::cancel::value, uint64_t{0});
}

// cancel_grace after cancel(): the runs that did not answer end now.
void cancel_deadline(self_ptr self) {
  auto& st = self->state;
  for (uint32_t rank = 0; rank < st.ended.size() && st.pending > 0; ++rank)
    if (!st.ended[rank])
      run_ended(self, rank, status::error(errc::timeout, "did not stop"));
}

void on_reply(self_ptr self, uint32_t rank, const wire::frame& f) {
  auto& o = self->state.report->outcomes[rank];
  if (f.schema() == wire::schema_id<schema::FunctionExit>()) {
    status why;
    auto rd = wire::read<schema::FunctionExit>(f, [&](schema::FunctionExit::Reader r) {
      why = wire::from_wire(r.getError());
      return status::ok();
    });
    return run_ended(self, rank, rd ? why : rd);
  }
  auto rd = wire::read<schema::FunctionResult>(f, [&](schema::FunctionResult::Reader r) {
    o.device = r.getDevice().cStr();
    o.values = wire::from_wire(r.getValues());
    o.elapsed_ms = r.getElapsedMs();
    return status::ok();
  });
  run_ended(self, rank, rd);
}

void launch_run(self_ptr self, uint32_t rank) {
  auto& st = self->state;
  if (!st.cancelled.empty())
    return run_ended(self, rank, status::error(errc::unavailable, "not started"));
  auto& c = st.containers[rank];
  auto& o = st.report->outcomes[rank];
  o.container_id = c.id;
  o.node = c.node_name;
  o.cpus = c.cpus;
  o.gpus = c.gpu_ids;
  record_run(self, rank, storage::run_status::running);
  progress(self, progress_event::started, rank);
  self->request(st.head, caf::infinite, atoms::launch::value, launch_frame(st, rank),
                caf::actor_cast<caf::actor>(self))
    .then([=](const wire::frame& out) { on_reply(self, rank, out); },
          [=](caf::error& err) { run_ended(self, rank, wire::to_status(err)); });
}

// A lost run gets a fresh container (its old one is released first).
void restart_run(self_ptr self, uint32_t rank) {
  auto& st = self->state;
  // The head has already reclaimed the container of a lost node and answers
  // its release with an error; a plain send would deliver that error to this
  // actor's default handler, which quits (and the head then reclaims the
  // fresh grant below as its owner's). Ask, and ignore the answer.
  self->request(st.head, service_timeout, atoms::release::value,
                release_frame({st.containers[rank].id}))
    .then([]() {}, [](caf::error&) {});
  self->request(st.head, caf::infinite, atoms::request::value,
                request_frame(st.function, st.opts, 1, false, true))
    .then(
      [=](const wire::frame& f) {
        std::vector<granted> g;
        if (auto rd = read_grant(f, g); !rd || g.empty())
          return run_ended(self, rank, rd ? status::error(errc::internal, "empty grant") : rd);
        self->state.containers[rank] = g.front();
        ++self->state.report->outcomes[rank].attempts;
        launch_run(self, rank);
      },
      [=](caf::error& err) { run_ended(self, rank, wire::to_status(err)); });
}

// Resume: containers for the unfinished ranks only (st.todo), each launched
// with its own rank in the recorded world, one attempt further.
void request_resumed(self_ptr self) {
  auto& st = self->state;
  st.pending = st.todo.size();
  st.ended.assign(st.containers.size(), true); // the finished runs: not to count again
  for (auto rank : st.todo)
    st.ended[rank] = false;
  if (st.todo.empty()) {
    st.log->info("'{}': every run finished already", st.report->experiment);
    return finish(self);
  }
  self->request(st.head, caf::infinite, atoms::request::value,
                request_frame(st.function, st.opts, static_cast<uint32_t>(st.todo.size()),
                              st.opts.gang, st.opts.queue))
    .then(
      [=](const wire::frame& f) {
        auto& st = self->state;
        std::vector<granted> g;
        if (auto rd = read_grant(f, g); !rd || g.size() != st.todo.size()) {
          st.report->overall = rd ? status::error(errc::internal, "short grant") : rd;
          st.done.deliver(caf::unit);
          self->quit();
          return;
        }
        st.log->info("'{}' resumed: {} unfinished run(s) of {}", st.report->experiment,
                     st.todo.size(), st.containers.size());
        for (size_t i = 0; i < g.size(); ++i)
          st.containers[st.todo[i]] = g[i];
        for (auto rank : st.todo) {
          ++st.report->outcomes[rank].attempts;
          launch_run(self, rank);
        }
      },
      [=](caf::error& err) {
        self->state.report->overall = wire::to_status(err);
        self->state.done.deliver(caf::unit);
        self->quit();
      });
}

void request_containers(self_ptr self) {
  auto& st = self->state;
  if (st.opts.resume)
    return request_resumed(self);
  bool gang = st.opts.gang && !st.opts.all;
  self->request(st.head, caf::infinite, atoms::request::value,
                request_frame(st.function, st.opts, st.opts.all ? 1u << 16 : st.opts.count, gang,
                              st.opts.queue))
    .then(
      [=](const wire::frame& f) {
        auto& st = self->state;
        if (auto rd = read_grant(f, st.containers); !rd || !st.cancelled.empty()) {
          st.report->overall = rd ? status::error(errc::unavailable, "cancelled: " + st.cancelled,
                                                  "launch")
                                  : rd;
          if (rd) // granted as it was cancelled: give them back
            release_all(self);
          st.done.deliver(caf::unit);
          self->quit();
          return;
        }
        st.pending = st.containers.size();
        st.ended.assign(st.containers.size(), false);
        st.log->info("{} container(s) granted for '{}'", st.pending, st.function);
        for (uint32_t rank = 0; rank < st.containers.size(); ++rank) {
          container_outcome o;
          o.experiment = st.report->experiment;
          o.run = rank;
          o.rank = rank;
          st.report->outcomes.push_back(std::move(o));
        }
        for (uint32_t rank = 0; rank < st.containers.size(); ++rank) {
          record_run(self, rank, storage::run_status::queued);
          launch_run(self, rank);
        }
      },
      [=](caf::error& err) {
        self->state.report->overall = wire::to_status(err);
        self->state.done.deliver(caf::unit);
        self->quit();
      });
}

void create_experiment(self_ptr self);

// Resume: the launch recorded as opts.name, read back from the registry:
// its function, hyperparameters and resources, and which runs are unfinished.
void load_recorded(self_ptr self) {
  auto& st = self->state;
  auto q = wire::build<schema::ExperimentQuery>([&](schema::ExperimentQuery::Builder b) {
    b.setName(st.opts.name);
    b.setWithRuns(true);
  });
  auto fail = [=](status why) {
    self->state.report->overall = why;
    self->state.done.deliver(caf::unit);
    self->quit();
  };
  self->request(st.registry, service_timeout, atoms::query::value, std::move(q))
    .then(
      [=](const wire::frame& info) {
        auto& st = self->state;
        recorded_launch rec;
        auto rd = wire::read<schema::ExperimentInfo>(info, [&](schema::ExperimentInfo::Reader r) {
          return read_recorded_launch(r, st.opts.name, st.opts, rec);
        });
        if (!rd)
          return fail(rd);
        st.function = std::move(rec.function);
        st.containers.assign(rec.world, granted{});
        st.report->experiment = st.opts.name;
        st.report->outcomes = std::move(rec.outcomes);
        st.todo = std::move(rec.todo);
        create_experiment(self);
      },
      [=](caf::error& err) { fail(wire::to_status(err)); });
}

void create_experiment(self_ptr self) {
  auto& st = self->state;
  if (!st.registry)
    return request_containers(self);
  if (!st.opts.resume)
    st.report->experiment =
      st.opts.name.empty() ? default_experiment_name(st.function, st.name_tries) : st.opts.name;
  auto f = wire::build<schema::ExperimentCreate>([&](schema::ExperimentCreate::Builder b) {
    b.setName(st.report->experiment);
    b.setKind(schema::ExperimentKind::TRAIN);
    b.setFunction(st.function);
    wire::to_wire(b.initHyperparameters(static_cast<unsigned>(st.opts.params.size())),
                  st.opts.params);
    // What `lagom resume` needs to launch its unfinished runs again.
    auto def = launch_definition(st.opts, st.containers.size());
    wire::to_wire(b.initSearch(static_cast<unsigned>(def.size())), def);
    b.setResume(st.opts.resume);
  });
  self->request(st.registry, service_timeout, atoms::create::value, std::move(f))
    .then(
      [=](const wire::frame& info) {
        auto rd = wire::read<schema::ExperimentInfo>(info, [&](schema::ExperimentInfo::Reader r) {
          self->state.experiment_id = r.getId();
          return status::ok();
        });
        if (!rd)
          self->state.log->warn("registry's answer unreadable ({}); the launch is not recorded",
                                rd.to_string());
        request_containers(self);
      },
      [=](caf::error& err) {
        auto& st = self->state;
        auto why = wire::to_status(err);
        // An automatic name taken within the same second: try the next one.
        if (st.opts.name.empty() && why.code() == errc::invalid_argument && ++st.name_tries < 20)
          return create_experiment(self);
        st.report->overall = why;
        st.done.deliver(caf::unit);
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
  supervision::restart_options ro;
  ro.max_restarts = st.opts.max_restarts;
  ro.window = std::chrono::minutes(10);
  ro.backoff_initial = std::chrono::milliseconds(100);
  ro.backoff_max = std::chrono::seconds(5);
  st.policy = supervision::restart_policy{ro};
  return {
    [=](atoms::launch) {
      self->state.done = self->make_response_promise<caf::unit_t>();
      self->request(self->state.head, service_timeout, atoms::services::value)
        .then(
          [=](caf::actor registry, caf::actor, caf::actor) {
            self->state.registry = registry;
            if (self->state.opts.resume)
              return load_recorded(self);
            create_experiment(self);
          },
          [=](caf::error& e) {
            auto why = wire::to_status(e);
            if (self->state.opts.resume) { // nothing to resume from
              self->state.report->overall = why;
              self->state.done.deliver(caf::unit);
              return self->quit();
            }
            self->state.log->warn("no registry ({}); the launch is not recorded",
                                  why.to_string());
            request_containers(self);
          });
      return self->state.done;
    },
    [=](atoms::report, const wire::frame& f) -> caf::result<wire::frame> {
      auto& st = self->state;
      auto rd = wire::read<schema::TrainReport>(f, [&](schema::TrainReport::Reader r) {
        if (r.getRun() >= st.report->outcomes.size())
          return status::ok();
        auto& o = st.report->outcomes[r.getRun()];
        if (st.opts.on_progress) {
          progress_event ev;
          ev.kind = progress_event::report;
          ev.experiment = st.report->experiment;
          ev.run = r.getRun();
          ev.attempt = o.attempts;
          ev.node = o.node;
          ev.step = r.getStep();
          ev.metrics = wire::from_wire(r.getMetrics());
          st.opts.on_progress(ev);
        }
        return status::ok();
      });
      if (!rd)
        return wire::to_error(rd);  // never "go on" to a report it cannot read
      bool stop = st.gang_stopped || !st.cancelled.empty();
      return wire::build<schema::TrainDecision>([&](schema::TrainDecision::Builder b) {
        b.setStop(stop);
        b.setReason(!st.cancelled.empty() ? "cancelled" : stop ? "gang failed" : "");
      });
    },
    [=](atoms::restart, uint64_t rank) {
      if (!self->state.cancelled.empty())
        return run_ended(self, static_cast<uint32_t>(rank),
                         status::error(errc::unavailable, "not restarted"));
      restart_run(self, static_cast<uint32_t>(rank));
    },
    [=](atoms::cancel, const std::string& why) { cancel(self, why); },
    [=](atoms::cancel, uint64_t) { cancel_deadline(self); },
    [=](atoms::release, const wire::frame& lost) {
      auto rd = wire::read<schema::ContainerLost>(lost, [&](schema::ContainerLost::Reader r) {
        self->state.log->warn("{} container(s) lost with node '{}': {}",
                              r.getContainerIds().size(), r.getNodeName().cStr(),
                              r.getReason().cStr());
        return status::ok();
      });
      if (!rd)
        self->state.log->warn("unreadable ContainerLost dropped: {}", rd.to_string());
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
