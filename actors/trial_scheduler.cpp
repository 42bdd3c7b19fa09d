#include "actors/trial_scheduler.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "actors/driver_frames.hpp"
#include "actors/trial_scheduler_state.hpp"
#include "core/log.hpp"
#include "schemas/cluster.capnp.h"
#include "schemas/experiment.capnp.h"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

namespace sched {

namespace {

// The head checks a request's function and hyperparameters before any grant:
// the fixed ones with the centre of the space stand for every trial.
wire::frame request_frame(const state& st, uint32_t count, bool queue) {
  named_values params = st.policy.probe_params(st.job.space);
  return wire::build<schema::ContainerRequest>([&](schema::ContainerRequest::Builder b) {
    b.setOwner("search " + st.experiment);
    b.setFunction(st.job.function);
    wire::to_wire(b.initParams(static_cast<unsigned>(params.size())), params);
    // Data-parallel trials: one gang of `workers` per request, packed (the
    // ranks of a trial meet over shared memory on one host).
    const uint32_t workers = st.job.opts.workers;
    b.setCount(workers > 1 ? workers : count);
    auto each = b.initEach();
    each.setCpus(st.job.opts.cpus);
    each.setGpus(st.job.opts.gpus);
    b.setGang(workers > 1);
    b.setPlacement(workers > 1 ? schema::Placement::PACK : schema::Placement::SPREAD);
    b.setQueue(queue);
    if (st.policy.budgeted())
      b.setBudgetKey(st.job.opts.resource);
  });
}

// Trials heartbeat 4 times a heartbeat_timeout (0: never).
uint32_t heartbeat_ms(const state& st) {
  auto beat = static_cast<uint32_t>(st.job.opts.heartbeat_timeout.count() / 4);
  return st.job.opts.heartbeat_timeout.count() > 0 ? std::max(beat, 1u) : 0;
}

// A container's trial loop: its trials come as answers to its atoms::next.
// A gang's rank r runs its trials as rank r of the gang.
wire::frame loop_frame(const state& st, const holding& h, uint32_t rank = 0) {
  return wire::build<schema::FunctionLaunch>([&](schema::FunctionLaunch::Builder b) {
    wire::to_wire(b.initContainer(), h.ranks.empty() ? h.c : h.ranks[rank]);
    b.setFunction(st.job.function);
    b.setRank(rank);
    b.setWorldSize(h.ranks.empty() ? 1 : static_cast<uint32_t>(h.ranks.size()));
    b.setExperiment(st.experiment);
    b.setExperimentId(st.experiment_id);
    b.setHeartbeatMs(heartbeat_ms(st));
    b.setTrialLoop(true);
    b.setLookahead(st.policy.lookahead());
  });
}

wire::frame launch_frame(const state& st, const holding& h, const tuning::trial& t,
                         uint32_t attempt, uint32_t rank = 0) {
  named_values params = st.policy.launch_params(t);
  return wire::build<schema::FunctionLaunch>([&](schema::FunctionLaunch::Builder b) {
    wire::to_wire(b.initContainer(), h.ranks.empty() ? h.c : h.ranks[rank]);
    b.setFunction(st.job.function);
    b.setRank(rank);
    b.setWorldSize(h.ranks.empty() ? 1 : static_cast<uint32_t>(h.ranks.size()));
    wire::to_wire(b.initParams(static_cast<unsigned>(params.size())), params);
    b.setExperiment(st.experiment);
    b.setExperimentId(st.experiment_id);
    b.setRun(t.id);
    b.setAttempt(attempt);
    b.setHasParent(t.parent.has_value());
    b.setParentRun(t.parent.value_or(0));
    b.setHeartbeatMs(heartbeat_ms(st));
    if (!h.gang)
      return;
    // The trial's group: one generation per attempt, as a DDP job's restart
    // (ddp::trial_gang); the ranks agree on stop at each report.
    const ddp::job_options defaults;
    auto g = b.initGroup();
    g.setJob(h.gang->group_job(t.id));
    g.setGeneration(attempt);
    g.setBackend("shm");
    g.setRendezvousTimeoutMs(static_cast<uint32_t>(defaults.rendezvous_timeout.count()));
    g.setCollectiveTimeoutMs(static_cast<uint32_t>(defaults.collective_timeout.count()));
    g.setBucketMb(defaults.bucket_mb);
    g.setAccumulate(defaults.accumulate);
    g.setAgreeStop(true);
  });
}

void dispatch_all(self_ptr self);
void start_loop(self_ptr self, size_t i);

// Answers every ask of slot i's loop (every rank's): no more trials (the
// loops end).
void end_asks(holding& h) {
  for (auto& a : h.asks)
    a.deliver(wire::frame{});
  h.asks.clear();
  for (auto& asks : h.rank_asks) {
    for (auto& a : asks)
      a.deliver(wire::frame{});
    asks.clear();
  }
}

// Slot i's containers: every rank's for a gang.
std::vector<uint64_t> slot_containers(const holding& h) {
  if (h.ranks.empty())
    return {h.c.id};
  std::vector<uint64_t> ids;
  for (auto& c : h.ranks)
    ids.push_back(c.id);
  return ids;
}

} // namespace

std::vector<uint64_t> held_containers(const state& st) {
  std::vector<uint64_t> ids;
  for (auto id : st.policy.held())
    if (auto i = st.policy.slot_of(id))
      for (auto c : slot_containers(st.held[*i]))
        ids.push_back(c);
  return ids;
}

void release(self_ptr self, std::vector<uint64_t> ids) {
  if (ids.empty())
    return;
  self->request(self->state.head, service_timeout, atoms::release::value, release_frame(ids))
    .then([]() {}, [](caf::error&) {});
}

namespace {

void add_containers(self_ptr self, const wire::frame& grant) {
  auto& st = self->state;
  std::vector<granted> got;
  if (auto s = read_grant(grant, got); !s)
    st.log->warn("container grant unreadable: {}", s.to_string());
  if (st.job.opts.workers > 1) {  // one gang: a slot of `workers` ranks
    if (got.size() != st.job.opts.workers) {
      std::vector<uint64_t> ids;
      for (auto& c : got)
        ids.push_back(c.id);
      st.log->warn("a gang of {} was granted {} container(s): given back", st.job.opts.workers,
                   got.size());
      return release(self, ids);
    }
    size_t i = st.policy.add_container(got[0].id, got[0].node_name);
    holding h{got[0], {}, got, std::vector<std::deque<ask_promise>>(got.size()), nullptr};
    for (uint32_t r = 0; r < got.size(); ++r)
      st.rank_of[got[r].id] = {i, r};
    st.held.push_back(std::move(h));
    if (st.policy.phase() != tuning::search_phase::starting)
      start_loop(self, i);
    return;
  }
  for (auto& c : got) {
    size_t i = st.policy.add_container(c.id, c.node_name);
    st.held.push_back({std::move(c), {}, {}, {}, nullptr});
    if (st.policy.phase() != tuning::search_phase::starting)
      start_loop(self, i);
  }
}

// Slot i's container went away (the policy dealt with its trials): end its
// loop's asks, give it back, and ask for another when `replace`.
void replace_container(self_ptr self, size_t i, bool replace) {
  auto& st = self->state;
  end_asks(st.held[i]);
  release(self, slot_containers(st.held[i]));
  if (!replace)
    return;
  self->request(st.head, caf::infinite, atoms::request::value, request_frame(st, 1, true))
    .then(
      [=](const wire::frame& f) {
        auto& st = self->state;
        st.policy.replacement_arrived();
        if (st.policy.ending()) {
          std::vector<granted> got;
          read_grant(f, got);
          for (auto& c : got)
            release(self, {c.id});
          return;
        }
        add_containers(self, f);
        dispatch_all(self);
      },
      [=](caf::error& e) {
        auto& st = self->state;
        st.policy.replacement_arrived();
        st.log->warn("no replacement container: {}", wire::to_status(e).to_string());
        dispatch_all(self);
      });
}

void lose_container(self_ptr self, size_t i, const std::string& why) {
  bool replace = self->state.policy.lose(i, why);
  apply_changes(self);
  replace_container(self, i, replace);
}

// What a function's frame says: FunctionResult or FunctionExit. A frame that
// is neither, or unreadable, is the trial's failure (malformed_frame).
status read_outcome(const wire::frame& f, status& result, named_values& values, double& ms) {
  if (f.schema() == wire::schema_id<schema::FunctionExit>())
    return wire::read<schema::FunctionExit>(f, [&](schema::FunctionExit::Reader r) {
      result = wire::from_wire(r.getError());
      return status::ok();
    });
  return wire::read<schema::FunctionResult>(f, [&](schema::FunctionResult::Reader r) {
    values = wire::from_wire(r.getValues());
    ms = r.getElapsedMs();
    return status::ok();
  });
}

// A gang slot gets a trial once every rank's loop asked: each rank gets
// its launch (rank r of the gang, the trial's group).
void dispatch_gang(self_ptr self, size_t i) {
  auto& st = self->state;
  auto every_rank_asks = [&] {
    for (auto& a : st.held[i].rank_asks)
      if (a.empty())
        return false;
    return true;
  };
  while (every_rank_asks()) {
    auto p = st.policy.next(i, clock::now());
    if (!p)
      return;
    apply_changes(self);
    auto& h = st.held[i];
    if (!h.gang)
      h.gang = std::make_shared<ddp::trial_gang>(st.experiment,
                                                 static_cast<uint32_t>(h.ranks.size()));
    h.gang->start(p->trial, p->attempt);
    const auto& t = st.policy.find(p->trial)->t;
    for (uint32_t r = 0; r < h.rank_asks.size(); ++r) {
      h.rank_asks[r].front().deliver(launch_frame(st, h, t, p->attempt, r));
      h.rank_asks[r].pop_front();
    }
  }
}

// Gives each ask of every loop a trial while the policy has one, then ends
// the search once the policy says it is over.
void dispatch_all(self_ptr self) {
  auto& st = self->state;
  if (st.policy.phase() == tuning::search_phase::starting || st.policy.ending())
    return;
  for (size_t i = 0; i < st.held.size(); ++i) {
    if (!st.held[i].ranks.empty()) {
      dispatch_gang(self, i);
      continue;
    }
    while (!st.held[i].asks.empty()) {
      auto p = st.policy.next(i, clock::now());
      if (!p)
        break;
      apply_changes(self);
      auto& h = st.held[i];
      h.asks.front().deliver(launch_frame(st, h, st.policy.find(p->trial)->t, p->attempt));
      h.asks.pop_front();
    }
  }
  status overall;
  if (st.policy.over(clock::now(), overall)) {
    if (!overall)
      st.report->overall = status::error(overall.code(), overall.message(), st.experiment);
    apply_changes(self);
    finish(self);
  }
}

// Slot i's loop ended (the head answered its launch): expected once it was
// told there are no more trials; else its container or worker is gone.
void loop_ended(self_ptr self, size_t i, uint32_t rank, const status& result) {
  auto& st = self->state;
  // A loop that ended asks for nothing more (a gang's other ranks are told
  // when the gang is released).
  if (st.held[i].ranks.empty())
    st.held[i].asks.clear();
  else
    st.held[i].rank_asks[rank].clear();
  switch (st.policy.loop_ended(i, result)) {
    case tuning::loop_fate::none:
      return;
    case tuning::loop_fate::replace:
      apply_changes(self);
      replace_container(self, i, true);
      break;
    case tuning::loop_fate::give_up:
      apply_changes(self);
      st.log->warn("container {}: {}; not used again", st.held[i].c.id,
                   result ? "its trial loop ended" : result.to_string());
      replace_container(self, i, false);
      break;
  }
  dispatch_all(self);
}

// Launches slot i's trial loop: one per rank of a gang.
void start_loop(self_ptr self, size_t i) {
  auto& st = self->state;
  st.policy.loop_started(i, clock::now());
  const uint32_t ranks = std::max<uint32_t>(1, static_cast<uint32_t>(st.held[i].ranks.size()));
  for (uint32_t r = 0; r < ranks; ++r)
    self->request(st.head, caf::infinite, atoms::launch::value, loop_frame(st, st.held[i], r),
                  caf::actor_cast<caf::actor>(self))
      .then(
        [=](const wire::frame& f) {
          status result;
          named_values values;
          double ms = 0;
          if (auto rd = read_outcome(f, result, values, ms); !rd)
            result = rd;
          loop_ended(self, i, r, result);
        },
        [=](caf::error& err) { loop_ended(self, i, r, wire::to_status(err)); });
}

// Rank `rank` of gang slot i handed in its end of trial run/attempt and
// asks for the next (on_next, for gangs): the trial ends when the gang says
// so; a lost rank tears the gang down and retries the trial (one_for_all).
caf::result<wire::frame> on_rank_next(self_ptr self, size_t i, uint32_t rank, uint32_t run,
                                      uint32_t attempt, const wire::frame& done) {
  auto& st = self->state;
  if (!st.policy.slot_of(st.held[i].c.id) || st.policy.ending())
    return wire::frame{};  // a torn-down gang's rank, or the end: no more trials
  status result;
  named_values values;
  double ms = 0;
  if (done.schema() != 0)
    if (auto rd = read_outcome(done, result, values, ms); !rd)
      result = rd;
  auto ask = self->make_response_promise<wire::frame>();
  auto& h = st.held[i];
  h.rank_asks[rank].push_back(ask);
  // The gang's loop has asked once every rank has (until then it is
  // starting, and the search is not over for want of asks).
  if (std::all_of(h.rank_asks.begin(), h.rank_asks.end(), [](auto& a) { return !a.empty(); }))
    st.policy.asked(i);
  if (done.schema() != 0 && h.gang) {
    using end = ddp::trial_gang::end;
    auto gang = h.gang;
    switch (gang->rank_done(rank, run, attempt, result, values, ms)) {
      case end::wait:
      case end::stale:
        break;
      case end::finished: {
        auto fate = st.policy.returned(i, run, attempt, status::ok(), gang->values(),
                                       gang->elapsed_ms(), clock::now());
        apply_changes(self);
        if (fate != tuning::loop_fate::none)
          replace_container(self, i, fate == tuning::loop_fate::replace);
        break;
      }
      case end::failed:  // the trial failed; its other ranks may be stuck
        st.policy.returned(i, run, attempt, gang->why(), {}, ms, clock::now());
        lose_container(self, i, "its gang was torn down after rank " + std::to_string(rank) +
                                  " failed");
        break;
      case end::lost:
        st.log->warn("trial {} attempt {}: rank {} lost ({}); its gang restarts", run, attempt,
                     rank, gang->why().to_string());
        lose_container(self, i, "rank " + std::to_string(rank) + ": " + gang->why().to_string());
        break;
    }
  }
  dispatch_all(self);
  return ask;
}

} // namespace

void end_idle_loops(self_ptr self) {
  for (auto& h : self->state.held)
    end_asks(h);
}

// A loop hands in the trial that ended (`done`, empty at first) and asks for
// the next; the answer waits until there is one, or until the search ends.
// An unreadable `done` fails its trial (malformed_frame, in its error).
caf::result<wire::frame> on_next(self_ptr self, uint64_t container, uint32_t run,
                                 uint32_t attempt, const wire::frame& done) {
  auto& st = self->state;
  if (auto g = st.rank_of.find(container); g != st.rank_of.end())
    return on_rank_next(self, g->second.first, g->second.second, run, attempt, done);
  auto i = st.policy.slot_of(container);
  if (!i || st.policy.ending())
    return wire::frame{};  // a straggler's loop, or the end: no more trials
  status result;
  named_values values;
  double ms = 0;
  if (done.schema() != 0)
    if (auto rd = read_outcome(done, result, values, ms); !rd)
      result = rd;  // the trial failed: its answer cannot be read
  auto ask = self->make_response_promise<wire::frame>();
  st.held[*i].asks.push_back(ask);
  st.policy.asked(*i);
  if (done.schema() != 0) {
    auto fate = st.policy.returned(*i, run, attempt, result, values, ms, clock::now());
    apply_changes(self);
    if (fate != tuning::loop_fate::none)
      replace_container(self, *i, fate == tuning::loop_fate::replace);
  }
  dispatch_all(self);
  return ask;
}

namespace {

// Data-parallel trials: one gang per request; `containers` gangs (0: the
// first waits for room, then as many more as are free now).
void acquire_gangs(self_ptr self, std::function<void()> then, uint32_t got) {
  auto& st = self->state;
  const uint32_t wanted = st.job.opts.containers;
  bool queue = got == 0 || wanted > 0;
  self->request(st.head, caf::infinite, atoms::request::value, request_frame(st, 1, queue))
    .then(
      [=](const wire::frame& f) {
        add_containers(self, f);
        if (wanted == 0 || got + 1 < wanted)
          return acquire_gangs(self, then, got + 1);
        self->state.log->info("search '{}': {} gang(s) of {}", self->state.experiment,
                              self->state.held.size(), self->state.job.opts.workers);
        then();
      },
      [=](caf::error& err) {
        if (got > 0)
          return then();  // no more free now: run with those held
        self->state.report->overall = wire::to_status(err);
        finish(self);
      });
}

} // namespace

void acquire(self_ptr self, std::function<void()> then) {
  auto& st = self->state;
  if (st.job.opts.workers > 1)
    return acquire_gangs(self, std::move(then), 0);
  bool all = st.job.opts.containers == 0;
  self->request(st.head, caf::infinite, atoms::request::value,
                request_frame(st, all ? 1u << 16 : st.job.opts.containers, !all))
    .then(
      [=](const wire::frame& f) {
        add_containers(self, f);
        self->state.log->info("search '{}': {} container(s)", self->state.experiment,
                              self->state.held.size());
        then();
      },
      [=](caf::error& err) {
        self->state.report->overall = wire::to_status(err);
        finish(self);
      });
}

void begin(self_ptr self) {
  auto& st = self->state;
  if (st.policy.ending())
    return;
  st.policy.begin(clock::now());
  for (size_t i = 0; i < st.held.size(); ++i)
    start_loop(self, i);
  if (st.job.opts.heartbeat_timeout.count() > 0)
    self->send(self, atoms::tick::value);
  dispatch_all(self);
}

void on_tick(self_ptr self) {
  auto& st = self->state;
  if (st.policy.ending())
    return;
  for (auto& l : st.policy.tick(clock::now())) {
    st.log->warn("container {}: {}", st.held[l.slot].c.id, l.why);
    apply_changes(self);
    replace_container(self, l.slot, !st.policy.ending());
  }
  dispatch_all(self);
  if (!st.policy.ending())
    self->delayed_send(self, st.job.opts.heartbeat_timeout / 4, atoms::tick::value);
}

// A trial's report: stored, and answered with the rule's verdict. An
// unreadable report gets an error reply.
caf::result<wire::frame> on_report(self_ptr self, const wire::frame& f) {
  auto& st = self->state;
  tuning::report_verdict v;
  auto rd = wire::read<schema::TrainReport>(f, [&](schema::TrainReport::Reader r) {
    auto metrics = wire::from_wire(r.getMetrics());
    v = st.policy.report(r.getRun(), r.getStep(), metrics, clock::now());
    if (!v.known)
      return status::ok();
    // A trial loop's metrics are stored by way of the scheduler (after the
    // trial's run exists in the registry), not by its trainer_worker.
    record_metrics(self, frames::metric_report(r));
    if (v.has_value && st.job.on_progress) {
      auto* e = st.policy.find(r.getRun());
      auto p = st.policy.table().progress(search_progress::report, *e, st.job.opts.num_trials);
      p.step = r.getStep();
      p.reported = v.value;
      st.job.on_progress(p);
    }
    return status::ok();
  });
  if (!rd)
    return wire::to_error(rd);
  return wire::build<schema::TrainDecision>([&](schema::TrainDecision::Builder b) {
    b.setStop(v.stop);
    b.setReason(v.why);
  });
}

// Heartbeats come without a request: a bad one is logged and dropped.
void on_heartbeat(self_ptr self, const wire::frame& f) {
  auto& st = self->state;
  auto rd = wire::read<schema::TrialHeartbeat>(f, [&](schema::TrialHeartbeat::Reader r) {
    st.policy.heartbeat(r.getRun(), r.getAttempt(), clock::now());
    return status::ok();
  });
  if (!rd)
    st.log->warn("bad trial heartbeat dropped: {}", rd.to_string());
}

} // namespace sched

namespace {

caf::behavior trial_scheduler(sched::self_ptr self, caf::actor head, search_job job,
                              std::shared_ptr<search_report> report) {
  auto& st = self->state;
  st.head = std::move(head);
  st.job = std::move(job);
  st.report = std::move(report);
  st.log = log::make("client", "trial_scheduler");
  return {
    [=](atoms::launch) {
      self->state.done = self->make_response_promise<caf::unit_t>();
      sched::open_experiment(self);
      return self->state.done;
    },
    [=](atoms::report, const wire::frame& f) { return sched::on_report(self, f); },
    [=](atoms::heartbeat, const wire::frame& f) { sched::on_heartbeat(self, f); },
    [=](atoms::next, uint64_t container, uint32_t run, uint32_t attempt,
        const wire::frame& done) { return sched::on_next(self, container, run, attempt, done); },
    [=](atoms::tick) { sched::on_tick(self); },
    [=](atoms::release, const wire::frame&) {},
  };
}

} // namespace

caf::actor spawn_trial_scheduler(caf::actor_system& sys, caf::actor cluster_manager,
                                 search_job job, std::shared_ptr<search_report> report) {
  return sys.spawn(trial_scheduler, std::move(cluster_manager), std::move(job),
                   std::move(report));
}

} // namespace lagom::actors
