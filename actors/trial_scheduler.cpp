#include "actors/trial_scheduler.hpp"

#include <cmath>

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

constexpr auto service_timeout = std::chrono::seconds(30);

bool deadline_passed(const state& st) {
  return st.deadline && clock::now() >= *st.deadline;
}

// The head checks a request's function and hyperparameters before any grant:
// the fixed ones with the centre of the space stand for every trial.
wire::frame request_frame(const state& st, uint32_t count, bool queue) {
  tuning::trial centre;
  centre.config = st.job.space.from_unit(std::vector<double>(st.job.space.size(), 0.5));
  centre.budget = st.job.opts.optimizer == "asha" || st.job.opts.optimizer == "hyperband" ? 1 : 0;
  named_values params = launch_params(st, centre);
  return wire::build<schema::ContainerRequest>([&](schema::ContainerRequest::Builder b) {
    b.setOwner("search " + st.experiment);
    b.setFunction(st.job.function);
    wire::to_wire(b.initParams(static_cast<unsigned>(params.size())), params);
    b.setCount(count);
    auto each = b.initEach();
    each.setCpus(st.job.opts.cpus);
    each.setGpus(st.job.opts.gpus);
    b.setGang(false);
    b.setPlacement(schema::Placement::SPREAD);
    b.setQueue(queue);
  });
}

// Trials heartbeat 4 times a heartbeat_timeout (0: never).
uint32_t heartbeat_ms(const state& st) {
  auto beat = static_cast<uint32_t>(st.job.opts.heartbeat_timeout.count() / 4);
  return st.job.opts.heartbeat_timeout.count() > 0 ? std::max(beat, 1u) : 0;
}

// A container's trial loop: its trials come as answers to its atoms::next.
wire::frame loop_frame(const state& st, const slot& s) {
  return wire::build<schema::FunctionLaunch>([&](schema::FunctionLaunch::Builder b) {
    wire::to_wire(b.initContainer(), s.c);
    b.setFunction(st.job.function);
    b.setRank(0);
    b.setWorldSize(1);
    b.setExperiment(st.experiment);
    b.setExperimentId(st.experiment_id);
    b.setHeartbeatMs(heartbeat_ms(st));
    b.setTrialLoop(true);
    // Its next trial asked for while one runs, when asking early changes
    // nothing: the optimizer does not learn from results, and no time budget
    // could end the search before a trial asked for starts.
    b.setLookahead(!st.opt->learns() && st.job.opts.time_budget.count() == 0 ? 1 : 0);
  });
}

wire::frame launch_frame(const state& st, const slot& s, const tuning::trial_entry& e,
                         uint32_t attempt) {
  named_values params = launch_params(st, e.t);
  return wire::build<schema::FunctionLaunch>([&](schema::FunctionLaunch::Builder b) {
    wire::to_wire(b.initContainer(), s.c);
    b.setFunction(st.job.function);
    b.setRank(0);
    b.setWorldSize(1);
    wire::to_wire(b.initParams(static_cast<unsigned>(params.size())), params);
    b.setExperiment(st.experiment);
    b.setExperimentId(st.experiment_id);
    b.setRun(e.t.id);
    b.setAttempt(attempt);
    b.setHasParent(e.t.parent.has_value());
    b.setParentRun(e.t.parent.value_or(0));
    b.setHeartbeatMs(heartbeat_ms(st));
  });
}

void progress(self_ptr self, search_progress::kind_t kind, const tuning::trial_entry& e) {
  auto& st = self->state;
  if (st.job.on_progress)
    st.job.on_progress(st.table.progress(kind, e, st.job.opts.num_trials));
}

void dispatch_all(self_ptr self);
void maybe_finish(self_ptr self);
void start_loop(self_ptr self, size_t i);

// --- containers --------------------------------------------------------------

} // namespace

void release(self_ptr self, std::vector<uint64_t> ids) {
  if (ids.empty())
    return;
  self->request(self->state.head, service_timeout, atoms::release::value, release_frame(ids))
    .then([]() {}, [](caf::error&) {});
}

namespace {

void add_slots(self_ptr self, const wire::frame& grant) {
  std::vector<granted> got;
  read_grant(grant, got);
  for (auto& c : got) {
    slot s;
    s.c = std::move(c);
    self->state.slots.push_back(std::move(s));
    if (self->state.begun)
      start_loop(self, self->state.slots.size() - 1);
  }
}

// Answers the oldest ask of slot i's loop with trial frame `f`.
void answer_loop(slot& s, wire::frame f) {
  s.asks.front().deliver(std::move(f));
  s.asks.pop_front();
}

// Answers every ask of slot i's loop: no more trials (the loop ends).
void end_asks(slot& s) {
  for (auto& a : s.asks)
    a.deliver(wire::frame{});
  s.asks.clear();
}

// A container went away (lost, or given up on a straggler): ask for another.
// Its trials were dealt with by the caller (lose_slot).
void replace_container(self_ptr self, size_t i) {
  auto& st = self->state;
  st.slots[i].gone = true;
  st.slots[i].trials.clear();
  end_asks(st.slots[i]);
  release(self, {st.slots[i].c.id});
  if (st.ending)
    return;
  ++st.replacing;
  self->request(st.head, caf::infinite, atoms::request::value, request_frame(st, 1, true))
    .then(
      [=](const wire::frame& f) {
        auto& st = self->state;
        --st.replacing;
        if (st.ending) {
          std::vector<granted> got;
          read_grant(f, got);
          for (auto& c : got)
            release(self, {c.id});
          return;
        }
        add_slots(self, f);
        dispatch_all(self);
      },
      [=](caf::error& e) {
        auto& st = self->state;
        --st.replacing;
        st.log->warn("no replacement container: {}", wire::to_status(e).to_string());
        maybe_finish(self);
      });
}

// --- trials ------------------------------------------------------------------

// Ends trial `e`: tells the optimizer and the rule, records it.
void end_trial(self_ptr self, tuning::trial_entry& e, tuning::outcome how, double loss) {
  auto& st = self->state;
  st.opt->tell({e.t, how, loss});
  if (st.stopper)
    st.stopper->on_end(e.t.id, how);
  st.table.set_status(e, tuning::to_string(how));
  record(self, e);
  progress(self, search_progress::trial_ended, e);
}

// Trial `e` lost its container (`why`): retried or failed.
void lose_trial(self_ptr self, tuning::trial_entry& e, const std::string& why) {
  auto& st = self->state;
  st.log->warn("trial {} lost ({}), attempt {}", e.t.id, why, e.view.attempts);
  e.view.error = why;
  e.stop_requested = false;
  if (e.view.attempts <= st.job.opts.max_retries) {
    st.table.set_status(e, "lost");
    record(self, e);
    if (st.stopper)
      st.stopper->on_retry(e.t.id);
    st.retry.push_back(e.t.id);
    progress(self, search_progress::trial_retrying, e);
  } else {
    e.view.error = "lost " + std::to_string(e.view.attempts) + " times; last: " + why;
    end_trial(self, e, tuning::outcome::failed, NAN);
  }
}

// Slot i's container is lost (`why`): its running trial is lost, those
// waiting in it go back to the front of the retry queue (they never ran),
// and another container is asked for.
void lose_slot(self_ptr self, size_t i, const std::string& why) {
  auto& st = self->state;
  auto trials = std::move(st.slots[i].trials);
  replace_container(self, i);
  for (size_t k = trials.size(); k-- > 1;) {
    auto& e = *st.table.find(trials[k].trial);
    st.table.set_status(e, "queued");
    record(self, e);
    st.retry.push_front(e.t.id);
  }
  if (!trials.empty())
    lose_trial(self, *st.table.find(trials.front().trial), why);
}

// Slot i's first trial starts running (its loop runs its trials in order).
void start_front(self_ptr self, size_t i) {
  auto& st = self->state;
  auto& s = st.slots[i];
  auto& e = *st.table.find(s.trials.front().trial);
  e.view.attempts = s.trials.front().attempt;
  e.view.node = s.c.node_name;
  e.best_loss = NAN;
  s.last_beat = clock::now();
  st.table.set_status(e, "running");
  record(self, e, s.c.id);
  progress(self, search_progress::trial_started, e);
}

// Trial `e` returned `result` and `values`: how it ended.
void judge(self_ptr self, tuning::trial_entry& e, const status& result,
           const named_values& values) {
  auto& st = self->state;
  if (!result) {
    e.view.error = result.to_string();
    st.log->warn("trial {} failed: {}", e.t.id, e.view.error);
    return end_trial(self, e, tuning::outcome::failed, NAN);
  }
  const value* v = values.find(st.job.opts.metric);
  bool returned = v != nullptr && std::holds_alternative<double>(*v) &&
                  !std::isnan(std::get<double>(*v));
  if (e.stop_requested && !std::isnan(e.best_loss)) {
    e.view.has_value = true;
    e.view.value = st.table.to_metric(e.best_loss);
    end_trial(self, e, tuning::outcome::stopped_early, e.best_loss);
  } else if (returned || !std::isnan(e.best_loss)) {
    e.view.has_value = true;
    e.view.value = returned ? std::get<double>(*v) : st.table.to_metric(e.best_loss);
    end_trial(self, e, tuning::outcome::finished, st.table.to_loss(e.view.value));
  } else {
    e.view.error = "returned no number '" + st.job.opts.metric + "'";
    end_trial(self, e, tuning::outcome::failed, NAN);
  }
}

void trial_returned(self_ptr self, size_t i, uint32_t id, uint32_t attempt, status result,
                    const named_values& values, double elapsed_ms) {
  auto& st = self->state;
  auto& s = st.slots[i];
  if (s.gone || !s.busy() || s.trials.front().trial != id || s.trials.front().attempt != attempt)
    return; // a straggler's late answer: its trial moved on
  if (result.code() == errc::container_lost)
    return lose_slot(self, i, result.to_string());
  s.trials.pop_front();
  auto& e = *st.table.find(id);
  e.view.elapsed_ms = elapsed_ms;
  judge(self, e, result, values);
  if (st.slots[i].busy())
    start_front(self, i);  // the next, already in the container, runs now
}

// What a function's frame says: FunctionResult or FunctionExit.
void read_outcome(const wire::frame& f, status& result, named_values& values, double& ms) {
  if (f.schema() == wire::schema_id<schema::FunctionExit>()) {
    auto rd = wire::read<schema::FunctionExit>(f, [&](schema::FunctionExit::Reader r) {
      result = wire::from_wire(r.getError());
      return status::ok();
    });
    result = rd ? result : rd;
    return;
  }
  result = wire::read<schema::FunctionResult>(f, [&](schema::FunctionResult::Reader r) {
    values = wire::from_wire(r.getValues());
    ms = r.getElapsedMs();
    return status::ok();
  });
}

// Gives trial `id` to slot i's loop: it runs at once, or after the loop's
// current trials (lookahead).
void launch(self_ptr self, size_t i, uint32_t id) {
  auto& st = self->state;
  auto& s = st.slots[i];
  auto& e = *st.table.find(id);
  s.trials.push_back({id, e.view.attempts + 1});
  if (s.trials.size() == 1)
    start_front(self, i);
  answer_loop(s, launch_frame(st, s, e, s.trials.back().attempt));
}

// Gives one ask of slot i's loop a trial: a retry first, else the
// optimizer's next. False when it has none now.
bool dispatch(self_ptr self, size_t i) {
  auto& st = self->state;
  if (st.ending || st.slots[i].asks.empty() || st.slots[i].gone || deadline_passed(st))
    return false;
  if (!st.retry.empty()) {
    uint32_t id = st.retry.front();
    st.retry.pop_front();
    launch(self, i, id);
    return true;
  }
  if (st.exhausted)
    return false;
  if (st.job.opts.num_trials > 0 && st.next_id >= st.job.opts.num_trials) {
    st.exhausted = true;
    return false;
  }
  tuning::trial t;
  t.id = st.next_id;
  auto a = st.opt->ask(t);
  if (a == tuning::ask_status::wait)
    return false; // asked again after the next tell
  if (a == tuning::ask_status::exhausted) {
    st.exhausted = true;
    return false;
  }
  ++st.next_id;
  auto& e = st.table.add(t);
  record(self, e);
  launch(self, i, t.id);
  return true;
}

void dispatch_all(self_ptr self) {
  if (!self->state.begun)
    return;
  for (size_t i = 0; i < self->state.slots.size(); ++i)
    while (dispatch(self, i)) {
    }
  maybe_finish(self);
}

// Ends the search once nothing runs and nothing more can start.
void maybe_finish(self_ptr self) {
  auto& st = self->state;
  if (st.ending)
    return;
  size_t usable = 0, starting = 0;
  for (auto& s : st.slots) {
    if (s.busy())
      return;
    usable += s.gone ? 0 : 1;
    starting += !s.gone && s.starting ? 1 : 0;
  }
  bool work_left = !st.retry.empty() || !st.exhausted;
  if (!deadline_passed(st) && work_left && starting > 0)
    return; // loops about to ask for trials
  if (!deadline_passed(st) && work_left && usable == 0 && st.replacing > 0)
    return; // waiting for a replacement container
  if (!deadline_passed(st) && !st.retry.empty() && usable > 0)
    return;
  if (!deadline_passed(st) && work_left && usable == 0 && st.replacing == 0 &&
      st.table.ended() == 0)
    st.report->overall = status::error(errc::unavailable, "no container left to run trials",
                                       st.experiment);
  // Trials still waiting for a retry when the search ends: failed, not lost.
  for (auto id : st.retry) {
    auto& e = *st.table.find(id);
    e.view.error += " (not retried: the search ended)";
    end_trial(self, e, tuning::outcome::failed, NAN);
  }
  st.retry.clear();
  finish(self);
}

// Slot i's loop ended (the head answered its launch): expected once it was
// told there are no more trials; else its container or worker is gone.
void loop_ended(self_ptr self, size_t i, const status& result) {
  auto& st = self->state;
  auto& s = st.slots[i];
  s.asks.clear();  // a loop that ended asks for nothing more
  s.starting = false;
  if (st.ending || s.gone)
    return;
  std::string why = result ? "its trial loop ended" : result.to_string();
  if (s.busy()) {
    lose_slot(self, i, why);
  } else if (result.code() == errc::container_lost) {
    replace_container(self, i);
  } else {
    st.log->warn("container {}: {}; not used again", s.c.id, why);
    s.gone = true;
    release(self, {s.c.id});
  }
  dispatch_all(self);
}

void start_loop(self_ptr self, size_t i) {
  auto& st = self->state;
  st.slots[i].starting = true;
  st.slots[i].last_beat = clock::now();
  self->request(st.head, caf::infinite, atoms::launch::value, loop_frame(st, st.slots[i]),
                caf::actor_cast<caf::actor>(self))
    .then(
      [=](const wire::frame& f) {
        status result;
        named_values values;
        double ms = 0;
        read_outcome(f, result, values, ms);
        loop_ended(self, i, result);
      },
      [=](caf::error& err) { loop_ended(self, i, wire::to_status(err)); });
}

} // namespace

void end_idle_loops(self_ptr self) {
  for (auto& s : self->state.slots)
    end_asks(s);
}

// A loop hands in the trial that ended (`done`, empty at first) and asks for
// the next; the answer waits until there is one, or until the search ends.
caf::result<wire::frame> on_next(self_ptr self, uint64_t container, uint32_t run,
                                 uint32_t attempt, const wire::frame& done) {
  auto& st = self->state;
  size_t i = 0;
  while (i < st.slots.size() && st.slots[i].c.id != container)
    ++i;
  if (i == st.slots.size() || st.slots[i].gone || st.ending)
    return wire::frame{};  // a straggler's loop, or the end: no more trials
  auto ask = self->make_response_promise<wire::frame>();
  st.slots[i].asks.push_back(ask);
  st.slots[i].starting = false;
  if (done.schema() != 0) {
    status result;
    named_values values;
    double ms = 0;
    read_outcome(done, result, values, ms);
    trial_returned(self, i, run, attempt, result, values, ms);
  }
  dispatch_all(self);
  return ask;
}

void acquire(self_ptr self, std::function<void()> then) {
  auto& st = self->state;
  bool all = st.job.opts.containers == 0;
  self->request(st.head, caf::infinite, atoms::request::value,
                request_frame(st, all ? 1u << 16 : st.job.opts.containers, !all))
    .then(
      [=](const wire::frame& f) {
        add_slots(self, f);
        self->state.log->info("search '{}': {} container(s)", self->state.experiment,
                              self->state.slots.size());
        then();
      },
      [=](caf::error& err) {
        self->state.report->overall = wire::to_status(err);
        finish(self);
      });
}

void begin(self_ptr self) {
  auto& st = self->state;
  st.begun = true;
  for (size_t i = 0; i < st.slots.size(); ++i)
    start_loop(self, i);
  st.started = clock::now();
  if (st.job.opts.time_budget.count() > 0)
    st.deadline = st.started + st.job.opts.time_budget;
  if (st.job.opts.heartbeat_timeout.count() > 0)
    self->send(self, atoms::tick::value);
  dispatch_all(self);
}

void on_tick(self_ptr self) {
  auto& st = self->state;
  if (st.ending)
    return;
  auto now = clock::now();
  for (size_t i = 0; i < st.slots.size(); ++i) {
    auto& s = st.slots[i];
    if ((!s.busy() && !s.starting) || s.gone ||
        now - s.last_beat <= st.job.opts.heartbeat_timeout)
      continue;
    std::string why = "no heartbeat for " +
                      std::to_string(st.job.opts.heartbeat_timeout.count()) + " ms";
    if (s.busy()) {
      lose_slot(self, i, "straggler: " + why);
    } else {  // its loop never asked for a trial
      st.log->warn("container {}: trial loop did not start ({})", s.c.id, why);
      replace_container(self, i);
    }
  }
  if (deadline_passed(st))
    for (auto& s : st.slots)
      if (s.busy())
        st.table.find(s.trials.front().trial)->stop_requested = true;
  dispatch_all(self);
  if (!st.ending)
    self->delayed_send(self, st.job.opts.heartbeat_timeout / 4, atoms::tick::value);
}

wire::frame on_report(self_ptr self, const wire::frame& f) {
  auto& st = self->state;
  bool stop = false;
  std::string why;
  wire::read<schema::TrainReport>(f, [&](schema::TrainReport::Reader r) {
    auto* e = st.table.find(r.getRun());
    if (e == nullptr)
      return status::ok();
    // A trial loop's metrics are stored by way of the scheduler (after the
    // trial's run exists in the registry), not by its trainer_worker.
    record_metrics(self, frames::metric_report(r));
    if (e->view.status != "running")
      return status::ok();
    auto metrics = wire::from_wire(r.getMetrics());
    const value* v = metrics.find(st.job.opts.metric);
    if (v != nullptr && std::holds_alternative<double>(*v) && !std::isnan(std::get<double>(*v))) {
      double loss = st.table.report(*e, r.getStep(), std::get<double>(*v));
      if (st.stopper &&
          st.stopper->on_report(e->t.id, r.getStep(), loss) == tuning::verdict::stop) {
        stop = true;
        why = std::string("early stopping (") + st.stopper->name() + ")";
      }
      if (st.job.on_progress) {
        auto p = st.table.progress(search_progress::report, *e, st.job.opts.num_trials);
        p.step = r.getStep();
        p.reported = std::get<double>(*v);
        st.job.on_progress(p);
      }
    }
    if (deadline_passed(st)) {
      stop = true;
      why = "time budget spent";
    }
    e->stop_requested = e->stop_requested || stop;
    stop = e->stop_requested;
    return status::ok();
  });
  return wire::build<schema::TrainDecision>([&](schema::TrainDecision::Builder b) {
    b.setStop(stop);
    b.setReason(why);
  });
}

void on_heartbeat(self_ptr self, const wire::frame& f) {
  auto& st = self->state;
  wire::read<schema::TrialHeartbeat>(f, [&](schema::TrialHeartbeat::Reader r) {
    for (auto& s : st.slots)
      if (s.busy() && s.trials.front().trial == r.getRun() &&
          s.trials.front().attempt == r.getAttempt())
        s.last_beat = clock::now();
    return status::ok();
  });
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
