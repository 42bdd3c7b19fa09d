// trial_scheduler, the registry's copy of the trial table and the end: the
// policy's changes as batched RunUpdates, the metrics after them, and
// finishing (release, store, end the experiment, answer).
#include <chrono>

#include <caf/all.hpp>

#include "actors/trial_scheduler_state.hpp"
#include "schemas/experiment.capnp.h"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors::sched {

namespace {

// Queues trial `e`'s change to `status` for the registry.
void record(state& st, const tuning::trial_entry& e, run_status status, uint64_t container) {
  if (!st.registry)
    return;
  frames::run_change c;
  c.run = e.t.id;
  c.status = status;
  // The registry keeps the hyperparameters the run was created with (its
  // first change, queued); later changes need not carry them again.
  if (status == run_status::queued)
    c.hyperparameters = st.policy.stored_params(e.t);
  c.node = e.view.node;
  c.container = container;
  c.error = e.view.error;
  if (e.view.has_value)
    c.final_metrics.set(st.job.opts.metric, e.view.value);
  c.at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  st.batch.push_back(std::move(c));
}

void send_metrics(self_ptr self, wire::frame metrics) {
  self->request(self->state.registry, service_timeout, atoms::metrics::value, std::move(metrics))
    .then([]() {}, [=](caf::error& e) {
      self->state.log->warn("metrics not recorded: {}", wire::to_status(e).to_string());
    });
}

} // namespace

void apply_changes(self_ptr self) {
  auto& st = self->state;
  auto changes = st.policy.take_changes();
  for (auto& c : changes) {
    const auto& e = *st.policy.find(c.trial);
    record(st, e, c.status, c.container);
    if (c.kind == search_progress::trial_retrying && c.notify)
      st.log->warn("trial {} lost ({}), attempt {}", e.t.id, e.view.error, e.view.attempts);
    if (c.notify && st.job.on_progress)
      st.job.on_progress(st.policy.table().progress(c.kind, e, st.job.opts.num_trials));
  }
  if (!changes.empty())
    flush(self);
}

void record_metrics(self_ptr self, wire::frame metrics) {
  auto& st = self->state;
  if (!st.registry)
    return;
  // A change still queued may be the run's creation: the metrics go after it.
  if (!st.batch.empty())
    st.metrics_after.push_back(std::move(metrics));
  else
    send_metrics(self, std::move(metrics));
}

void flush(self_ptr self) {
  auto& st = self->state;
  if (st.batch_in_flight || st.batch.empty())
    return;
  st.batch_in_flight = true;
  auto f = batch_frame(st);
  st.batch.clear();
  // Messages from one actor to another arrive in order: these metrics reach
  // the registry after the batch that creates their runs.
  auto after = std::move(st.metrics_after);
  st.metrics_after.clear();
  self->request(st.registry, service_timeout, atoms::run_update::value, std::move(f))
    .then(
      [=]() {
        self->state.batch_in_flight = false;
        flush(self);
        if (self->state.policy.ending())
          finish(self);
      },
      [=](caf::error& e) {
        self->state.batch_in_flight = false;
        self->state.log->error("trial table not stored: {}", wire::to_status(e).to_string());
        flush(self);
        if (self->state.policy.ending())
          finish(self);
      });
  for (auto& m : after)
    send_metrics(self, std::move(m));
}

// Once the table is stored: release, end the experiment, answer.
void finish(self_ptr self) {
  auto& st = self->state;
  if (!st.policy.ending()) {
    st.policy.end();
    end_idle_loops(self);
    release(self, held_containers(st));
  }
  if (st.batch_in_flight || !st.batch.empty() || st.policy.phase() == tuning::search_phase::ended)
    return;
  st.policy.answered();
  auto& r = st.report->result;
  r = st.policy.table().summarize();
  r.experiment = st.experiment;
  r.metric = st.job.opts.metric;
  r.direction = st.job.opts.direction;
  r.elapsed_ms =
    std::chrono::duration<double, std::milli>(clock::now() - st.policy.started()).count();
  st.report->space = st.job.space;
  if (st.registry && st.experiment_id != 0) {
    auto end = wire::build<schema::ExperimentEnd>([&](schema::ExperimentEnd::Builder b) {
      b.setExperimentId(st.experiment_id);
      b.setStatus(r.finished + r.early_stopped > 0 ? "finished" : "failed");
    });
    self->send(st.registry, atoms::exp_end::value, std::move(end));
  }
  st.done.deliver(caf::unit);
  self->quit();
}

wire::frame batch_frame(const state& st) {
  return wire::build<schema::RunUpdateBatch>([&](schema::RunUpdateBatch::Builder b) {
    auto list = b.initUpdates(static_cast<unsigned>(st.batch.size()));
    for (unsigned i = 0; i < st.batch.size(); ++i)
      frames::to_wire(list[i], st.experiment_id, st.batch[i]);
  });
}

} // namespace lagom::actors::sched
