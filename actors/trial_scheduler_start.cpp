// trial_scheduler, starting: find the registry, ask for the containers,
// create the experiment (or read it back and rebuild optimizer, rule and
// table to resume it).
#include <cmath>

#include <caf/all.hpp>

#include "actors/driver_frames.hpp"
#include "actors/experiment_frames.hpp"
#include "actors/trial_scheduler_state.hpp"
#include "schemas/experiment.capnp.h"
#include "tuning/search_definition.hpp"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors::sched {

namespace {

// The caller's name, or "<function>-search-<time>" (the name_tries-th try).
std::string experiment_name(const state& st) {
  return st.job.opts.name.empty()
           ? default_experiment_name(st.job.function + "-search", st.name_tries)
           : st.job.opts.name;
}

void fail(self_ptr self, status why) {
  self->state.report->overall = std::move(why);
  finish(self);
}

// The policy of the job's options: its optimizer and early-stopping rule.
status make_policies(state& st) {
  st.policy = tuning::search_policy(st.job.opts);
  return st.policy.configure(st.job.space);
}

// Resume: the stored trials become the table; ended ones are told to the
// optimizer, unfinished ones are queued to run again.
status rebuild(self_ptr self, schema::ExperimentInfo::Reader info) {
  auto& st = self->state;
  bool budgeted = st.policy.budgeted();
  for (auto run : info.getRuns()) {
    named_values hp = wire::from_wire(run.getHyperparameters());
    tuning::stored_trial s;
    s.t.id = run.getRun();
    for (auto& d : st.job.space.dims()) {
      const value* v = hp.find(d.name);
      if (v == nullptr)
        return status::error(errc::io_error, "stored trial lacks hyperparameter '" + d.name + "'",
                             st.experiment + "/" + std::to_string(s.t.id));
      s.t.config.set(d.name, *v);
    }
    if (budgeted)
      s.t.budget = hp.number(st.job.opts.resource, 0);
    s.t.bracket = static_cast<uint32_t>(hp.number("bracket", 0));
    if (auto rs = frames::from_wire(run.getStatus(), &s.status); !rs)
      return status::error(rs.code(), rs.message(),
                           st.experiment + "/" + std::to_string(s.t.id) + ": " + rs.where());
    s.value = wire::from_wire(run.getFinalMetrics()).number(st.job.opts.metric, NAN);
    s.attempts = run.getAttempts();
    s.node = frames::text(run.getNode());
    s.error = frames::text(run.getError());
    st.policy.restore(s);
  }
  st.log->info("resuming '{}': {} trial(s) recorded, {} ended, {} to run again", st.experiment,
               info.getRuns().size(), st.policy.table().ended(), st.policy.retry_queued());
  return status::ok();
}

// Feeds the rule the metric series of every ended trial, then begins.
void replay_rule(self_ptr self) {
  auto& st = self->state;
  std::vector<uint32_t> ended = st.policy.ended_trials();
  if (!st.policy.has_rule() || ended.empty())
    return begin(self);
  auto left = std::make_shared<size_t>(ended.size());
  for (auto id : ended) {
    auto q = wire::build<schema::MetricQuery>([&](schema::MetricQuery::Builder b) {
      b.setExperimentId(st.experiment_id);
      b.setRun(id);
      b.setKey(st.job.opts.metric);
    });
    auto done = [=]() {
      if (--*left == 0)
        begin(self);
    };
    self->request(st.registry, service_timeout, atoms::metrics::value, std::move(q))
      .then(
        [=](const wire::frame& f) {
          auto& st = self->state;
          auto rd = wire::read<schema::MetricSeriesList>(f, [&](schema::MetricSeriesList::Reader r) {
            for (auto series : r.getSeries())
              for (auto p : series.getPoints())
                st.policy.replay_report(id, p.getStep(), p.getValue());
            return status::ok();
          });
          if (!rd)
            st.log->warn("trial {}'s metrics unreadable, not replayed: {}", id, rd.to_string());
          st.policy.replay_end(id);
          done();
        },
        [=](caf::error&) { done(); });
  }
}

wire::frame create_frame(const state& st, bool resume) {
  return wire::build<schema::ExperimentCreate>([&](schema::ExperimentCreate::Builder b) {
    b.setName(st.experiment);
    b.setKind(schema::ExperimentKind::SEARCH);
    b.setFunction(st.job.function);
    wire::to_wire(b.initHyperparameters(static_cast<unsigned>(st.job.opts.params.size())),
                  st.job.opts.params);
    b.setMetric(st.job.opts.metric);
    b.setDirection(st.job.opts.direction == "min" ? schema::Direction::MIN
                                                  : schema::Direction::MAX);
    b.setResume(resume);
    auto def = tuning::encode_search(st.job.space, st.job.opts);
    wire::to_wire(b.initSearch(static_cast<unsigned>(def.size())), def);
  });
}

void create(self_ptr self) {
  auto& st = self->state;
  st.experiment = experiment_name(st);
  if (st.policy.ending())
    return;
  self->request(st.registry, service_timeout, atoms::create::value, create_frame(st, false))
    .then(
      [=](const wire::frame& info) {
        auto rd = wire::read<schema::ExperimentInfo>(info, [&](schema::ExperimentInfo::Reader r) {
          self->state.experiment_id = r.getId();
          return status::ok();
        });
        if (!rd)
          return fail(self, rd);
        begin(self);
      },
      [=](caf::error& err) {
        auto& st = self->state;
        auto why = wire::to_status(err);
        if (st.job.opts.name.empty() && why.code() == errc::invalid_argument &&
            ++st.name_tries < 20)
          return create(self);
        fail(self, why);
      });
}

// Resume: read the experiment back, rebuild, mark it running again.
void reopen(self_ptr self) {
  auto& st = self->state;
  st.experiment = st.job.opts.name;
  auto q = wire::build<schema::ExperimentQuery>([&](schema::ExperimentQuery::Builder b) {
    b.setName(st.experiment);
    b.setWithRuns(true);
  });
  self->request(st.registry, service_timeout, atoms::query::value, std::move(q))
    .then(
      [=](const wire::frame& f) {
        auto& st = self->state;
        status rd = wire::read<schema::ExperimentInfo>(f, [&](schema::ExperimentInfo::Reader r) {
          if (r.getKind() != schema::ExperimentKind::SEARCH)
            return status::error(errc::invalid_argument, "is not a search; only a search resumes",
                                 st.experiment);
          st.experiment_id = r.getId();
          st.job.function = frames::text(r.getFunction());
          st.job.opts.params = wire::from_wire(r.getHyperparameters());
          st.job.opts.metric = frames::text(r.getMetric());
          st.job.opts.direction = r.getDirection() == schema::Direction::MIN ? "min" : "max";
          if (auto s = tuning::decode_search(wire::from_wire(r.getSearch()), st.job.space,
                                             st.job.opts); !s)
            return status::error(s.code(), s.message(), st.experiment + ": " + s.where());
          if (auto s = make_policies(st); !s)
            return s;
          return rebuild(self, r);
        });
        if (!rd)
          return fail(self, rd);
        acquire(self, [=]() {
          auto& st = self->state;
          self->request(st.registry, service_timeout, atoms::create::value,
                        create_frame(st, true))
            .then([=](const wire::frame&) { replay_rule(self); },
                  [=](caf::error& err) { fail(self, wire::to_status(err)); });
        });
      },
      [=](caf::error& err) { fail(self, wire::to_status(err)); });
}

} // namespace

void open_experiment(self_ptr self) {
  self->request(self->state.head, service_timeout, atoms::services::value)
    .then(
      [=](caf::actor registry, caf::actor, caf::actor) {
        auto& st = self->state;
        st.registry = registry;
        if (st.job.resume)
          return reopen(self);
        if (auto s = make_policies(st); !s)
          return fail(self, s);
        st.experiment = experiment_name(st);
        acquire(self, [=]() { create(self); });
      },
      [=](caf::error& e) {
        auto& st = self->state;
        if (st.job.resume)
          return fail(self, status::error(errc::unavailable,
                                          "resume needs the head's registry: " +
                                            wire::to_status(e).to_string(),
                                          st.job.opts.name));
        st.log->warn("no registry ({}); the search is not recorded",
                     wire::to_status(e).to_string());
        if (auto s = make_policies(st); !s)
          return fail(self, s);
        st.experiment = experiment_name(st);
        acquire(self, [=]() { begin(self); });
      });
}

} // namespace lagom::actors::sched
