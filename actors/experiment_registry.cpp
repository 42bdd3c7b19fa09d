// experiment_registry: each handler reads its frame, calls one method of
// storage::experiment_table and answers with a frame, unit or an error. The
// table checks names and values; this file checks what only a frame can get
// wrong (enum numbers, the schema of a dual-use verb).
#include "actors/experiment_registry.hpp"

#include <caf/all.hpp>

#include "actors/experiment_frames.hpp"
#include "actors/door.hpp"
#include "core/log.hpp"
#include "schemas/experiment.capnp.h"
#include "storage/experiment_table.hpp"
#include "storage/posix_file.hpp"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

namespace {

struct registry_state {
  // Constant after construction.
  std::shared_ptr<spdlog::logger> log;
  // Mutable: the table (every call one LMDB transaction).
  storage::experiment_table table;
};

using self_ptr = caf::stateful_actor<registry_state>*;

caf::message reply(const status& st) {
  return st ? caf::message{} : caf::make_message(wire::to_error(st));
}

caf::result<wire::frame> on_create(self_ptr self, const wire::frame& f) {
  std::string name;
  storage::experiment_kind kind{};
  storage::experiment_config config;
  bool resume = false;
  auto rd = wire::read<schema::ExperimentCreate>(f, [&](schema::ExperimentCreate::Reader r) {
    name = frames::text(r.getName());
    config.function = frames::text(r.getFunction());
    config.hyperparameters = wire::from_wire(r.getHyperparameters());
    config.metric = frames::text(r.getMetric());
    resume = r.getResume();
    config.search = wire::from_wire(r.getSearch());
    auto st = frames::from_wire(r.getKind(), &kind);
    return st ? frames::from_wire(r.getDirection(), &config.dir) : st;
  });
  storage::experiment e;
  if (rd)
    rd = self->state.table.create_experiment(
      name, kind, config, resume ? storage::if_exists::resume : storage::if_exists::fail, &e);
  if (!rd)
    return wire::to_error(rd);
  self->state.log->info("experiment '{}' (id {}) {}: {} of '{}'", e.name, e.id,
                        resume ? "created or resumed" : "created", storage::to_string(e.kind),
                        e.config.function);
  return frames::info_frame(e);
}

// One RunUpdate as a storage change: empty node and error, container 0 and
// no final metrics keep what is stored.
status read_change(schema::RunUpdate::Reader r, storage::run_change& c) {
  c.experiment_id = r.getExperimentId();
  c.run = r.getRun();
  c.hyperparameters = wire::from_wire(r.getHyperparameters());
  if (r.hasNode() && r.getNode().size() > 0)
    c.update.node = frames::text(r.getNode());
  if (r.getContainer() != 0)
    c.update.container = r.getContainer();
  if (r.hasError() && r.getError().size() > 0)
    c.update.error = frames::text(r.getError());
  if (r.hasFinalMetrics() && r.getFinalMetrics().size() > 0)
    c.update.final_metrics = wire::from_wire(r.getFinalMetrics());
  c.at_ms = r.getAtMs();
  return frames::from_wire(r.getStatus(), &c.status);
}

// RunUpdate or RunUpdateBatch: every change in one transaction, or none
// (storage's apply_run_changes; a single update is a batch of one). A run
// that is new is created (queued, with its hyperparameters), then moved to
// the change's status with the fields it sets.
caf::result<caf::unit_t> on_run_update(self_ptr self, const wire::frame& f) {
  std::vector<storage::run_change> changes;
  status rd;
  if (f.schema() == wire::schema_id<schema::RunUpdateBatch>()) {
    rd = wire::read<schema::RunUpdateBatch>(f, [&](schema::RunUpdateBatch::Reader r) {
      changes.resize(r.getUpdates().size());
      unsigned i = 0;
      for (auto u : r.getUpdates())
        if (auto st = read_change(u, changes[i++]); !st)
          return status::error(st.code(), st.message(), "updates[" + std::to_string(i - 1) +
                                                          "]." + st.where());
      return status::ok();
    });
  } else {
    changes.resize(1);
    rd = wire::read<schema::RunUpdate>(f, [&](schema::RunUpdate::Reader r) {
      return read_change(r, changes[0]);
    });
  }
  if (rd)
    rd = self->state.table.apply_run_changes(changes);
  if (!rd)
    return wire::to_error(rd);
  if (changes.size() == 1)
    self->state.log->debug("run {}/{}: {}", changes[0].experiment_id, changes[0].run,
                           to_string(changes[0].status));
  else
    self->state.log->debug("{} run change(s) stored", changes.size());
  return caf::unit;
}

status record_metrics(self_ptr self, const wire::frame& f) {
  uint64_t id = 0, step = 0;
  uint32_t run = 0;
  named_values metrics;
  auto rd = wire::read<schema::MetricReport>(f, [&](schema::MetricReport::Reader r) {
    id = r.getExperimentId();
    run = r.getRun();
    step = r.getStep();
    metrics = wire::from_wire(r.getMetrics());
    return status::ok();
  });
  return rd ? self->state.table.append_metrics(id, run, step, metrics) : rd;
}

// MetricQuery: the series of one key, or of every key the run reported.
caf::message query_metrics(self_ptr self, const wire::frame& f) {
  uint64_t id = 0;
  uint32_t run = 0;
  std::string key;
  auto rd = wire::read<schema::MetricQuery>(f, [&](schema::MetricQuery::Reader r) {
    id = r.getExperimentId();
    run = r.getRun();
    key = frames::text(r.getKey());
    return status::ok();
  });
  auto& table = self->state.table;
  std::vector<std::string> keys{key};
  if (rd && key.empty())
    rd = table.metric_keys(id, run, &keys);
  std::vector<std::vector<storage::metric_point>> series(keys.size());
  for (size_t i = 0; rd && i < keys.size(); ++i)
    rd = table.read_metric(id, run, keys[i], &series[i]);
  if (!rd)
    return reply(rd);
  return caf::make_message(wire::build<schema::MetricSeriesList>([&](auto b) {
    auto list = b.initSeries(static_cast<unsigned>(keys.size()));
    for (unsigned i = 0; i < keys.size(); ++i) {
      list[i].setKey(keys[i]);
      auto points = list[i].initPoints(static_cast<unsigned>(series[i].size()));
      for (unsigned k = 0; k < series[i].size(); ++k) {
        points[k].setStep(series[i][k].step);
        points[k].setValue(series[i][k].value);
        points[k].setWallMs(series[i][k].wall_ms);
      }
    }
  }));
}

// (metrics, frame) carries a MetricReport (-> unit) or a MetricQuery.
caf::message on_metrics(self_ptr self, const wire::frame& f) {
  if (f.schema() == wire::schema_id<schema::MetricReport>())
    return reply(record_metrics(self, f));
  if (f.schema() == wire::schema_id<schema::MetricQuery>() || f.empty())
    return query_metrics(self, f);
  return reply(status::error(errc::wrong_schema,
                             "expected MetricReport or MetricQuery, got "
                               + wire::to_string(f),
                             "metrics"));
}

caf::result<caf::unit_t> on_end(self_ptr self, const wire::frame& f) {
  uint64_t id = 0;
  storage::experiment_status s{};
  auto rd = wire::read<schema::ExperimentEnd>(f, [&](schema::ExperimentEnd::Reader r) {
    id = r.getExperimentId();
    return frames::parse_end_status(frames::text(r.getStatus()), &s);
  });
  if (rd)
    rd = self->state.table.set_experiment_status(id, s);
  if (!rd)
    return wire::to_error(rd);
  self->state.log->info("experiment id {} ended: {}", id, storage::to_string(s));
  return caf::unit;
}

caf::result<wire::frame> on_query(self_ptr self, const wire::frame& f) {
  std::string name;
  bool with_runs = false;
  auto rd = wire::read<schema::ExperimentQuery>(f, [&](schema::ExperimentQuery::Reader r) {
    name = frames::text(r.getName());
    with_runs = r.getWithRuns();
    return status::ok();
  });
  storage::experiment e;
  std::vector<storage::run_record> runs;
  if (rd)
    rd = self->state.table.get_experiment(name, &e);
  if (rd && with_runs)
    rd = self->state.table.list_runs(e.id, &runs);
  if (!rd)
    return wire::to_error(rd);
  return frames::info_frame(e, with_runs ? &runs : nullptr);
}

caf::result<wire::frame> on_list(self_ptr self, const wire::frame& f) {
  bool with_runs = false;
  auto rd = wire::read<schema::ExperimentList>(f, [&](schema::ExperimentList::Reader r) {
    with_runs = r.getWithRuns();
    return status::ok();
  });
  std::vector<storage::experiment> all;
  if (rd)
    rd = self->state.table.list_experiments(&all);
  std::vector<std::vector<storage::run_record>> runs(all.size());
  for (size_t i = 0; rd && with_runs && i < all.size(); ++i)
    rd = self->state.table.list_runs(all[i].id, &runs[i]);
  if (!rd)
    return wire::to_error(rd);
  return wire::build<schema::ExperimentListing>([&](schema::ExperimentListing::Builder b) {
    auto list = b.initExperiments(static_cast<unsigned>(all.size()));
    for (unsigned i = 0; i < all.size(); ++i)
      frames::to_wire(list[i], all[i], with_runs ? &runs[i] : nullptr);
  });
}

status check(self_ptr self, const wire::frame& f, const char* verb) {
  return door_check(*self->state.log, f, std::string("registry: ") + verb,
                    self->current_sender());
}

caf::behavior experiment_registry(self_ptr self,
                                  std::shared_ptr<storage::experiment_table> table,
                                  std::shared_ptr<const supervision::membership> members) {
  // A write must prove the token and come from a live node epoch (or none).
  auto check_write = [=](const wire::frame& f, const char* verb) {
    auto ok = check(self, f, verb);
    if (ok)
      ok = fence_check(*self->state.log, members.get(), f, std::string("registry: ") + verb,
                       self->current_sender());
    return ok;
  };
  self->state.log = log::make("head", "experiment_registry");
  self->state.table = std::move(*table);
  return {
    // Every request's frame must prove the cluster token (actors/door.hpp).
    [=](atoms::create, const wire::frame& f) -> caf::result<wire::frame> {
      if (auto ok = check_write(f, "create"); !ok)
        return wire::to_error(ok);
      return on_create(self, f);
    },
    [=](atoms::run_update, const wire::frame& f) -> caf::result<caf::unit_t> {
      if (auto ok = check_write(f, "run update"); !ok)
        return wire::to_error(ok);
      return on_run_update(self, f);
    },
    [=](atoms::metrics, const wire::frame& f) -> caf::message {
      if (auto ok = check_write(f, "metrics"); !ok)
        return reply(ok);
      return on_metrics(self, f);
    },
    [=](atoms::exp_end, const wire::frame& f) -> caf::result<caf::unit_t> {
      if (auto ok = check_write(f, "end"); !ok)
        return wire::to_error(ok);
      return on_end(self, f);
    },
    [=](atoms::query, const wire::frame& f) -> caf::result<wire::frame> {
      if (auto ok = check(self, f, "query"); !ok)
        return wire::to_error(ok);
      return on_query(self, f);
    },
    [=](atoms::list, const wire::frame& f) -> caf::result<wire::frame> {
      if (auto ok = check(self, f, "list"); !ok)
        return wire::to_error(ok);
      return on_list(self, f);
    },
  };
}

} // namespace

status spawn_experiment_registry(caf::actor_system& sys, const std::string& data_dir,
                                 caf::actor& out,
                                 std::shared_ptr<const supervision::membership> members) {
  if (data_dir.empty())
    return status::error(errc::invalid_argument, "must not be empty", "data directory");
  if (auto st = storage::make_dirs(data_dir); !st)
    return st;
  auto table = std::make_shared<storage::experiment_table>();
  if (auto st = storage::experiment_table::open(data_dir + "/registry", {}, table.get()); !st)
    return st;
  out = sys.spawn(experiment_registry, std::move(table), std::move(members));
  return status::ok();
}

} // namespace lagom::actors
