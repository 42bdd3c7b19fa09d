// lagom::cluster's views of experiments, metrics and logs (the declarations
// are in runtime/include/lagom/cluster.hpp). The handles of the head's
// services are asked of cluster_manager once and kept in the impl; every
// call is then one blocking request to a service.
#include <caf/all.hpp>

#include "actors/api/cluster_impl.hpp"
#include "actors/experiment_frames.hpp"
#include "schemas/experiment.capnp.h"
#include "storage/experiment_records.hpp"
#include "wire/atoms.hpp"
#include "wire/convert.hpp"
#include "wire/read.hpp"

namespace lagom {

namespace {

// Fills p.services from the head, unless already known.
status ensure_services(cluster::impl& p) {
  if (p.services.registry)
    return status::ok();
  caf::scoped_actor self{*p.sys};
  status out;
  self->request(p.head, service_timeout, atoms::services::value)
    .receive(
      [&](caf::actor& registry, caf::actor& checkpointer, caf::actor& logs) {
        p.services.registry = registry;
        p.services.checkpointer = checkpointer;
        p.services.logs = logs;
      },
      [&](caf::error& err) { out = wire::to_status(err); });
  return out;
}

// One request to a service whose answer is a frame.
template <class... Ts>
status ask(cluster::impl& p, caf::actor actors::service_handles::*which, wire::frame& reply,
           Ts&&... xs) {
  if (auto st = ensure_services(p); !st)
    return st;
  caf::scoped_actor self{*p.sys};
  status out;
  self->request(p.services.*which, service_timeout, std::forward<Ts>(xs)...)
    .receive([&](wire::frame& f) { reply = std::move(f); },
             [&](caf::error& err) { out = wire::to_status(err); });
  return out;
}

// The storage name of a schema enum; the head sent it, so an unknown one is
// reported rather than guessed.
template <class W, class E>
status name_of(W v, std::string& out) {
  E e{};
  if (auto st = actors::frames::from_wire(v, &e); !st)
    return st;
  out = storage::to_string(e);
  return status::ok();
}

status to_view(schema::RunInfo::Reader r, run_view& out) {
  out.run = r.getRun();
  out.hyperparameters = wire::from_wire(r.getHyperparameters());
  out.start_ms = r.getStartMs();
  out.end_ms = r.getEndMs();
  out.node = r.getNode().cStr();
  out.container = r.getContainer();
  out.attempts = r.getAttempts();
  out.error = r.getError().cStr();
  out.final_metrics = wire::from_wire(r.getFinalMetrics());
  return actors::frames::from_wire(r.getStatus(), &out.status);
}

status to_view(schema::ExperimentInfo::Reader r, experiment_view& out) {
  out = experiment_view{};
  out.id = r.getId();
  out.name = r.getName().cStr();
  out.status = r.getStatus().cStr();
  out.created_ms = r.getCreatedMs();
  out.function = r.getFunction().cStr();
  out.hyperparameters = wire::from_wire(r.getHyperparameters());
  out.metric = r.getMetric().cStr();
  status st = name_of<schema::ExperimentKind, storage::experiment_kind>(r.getKind(), out.kind);
  if (st)
    st = name_of<schema::Direction, storage::direction>(r.getDirection(), out.direction);
  for (auto run : r.getRuns()) {
    out.runs.emplace_back();
    if (st)
      st = to_view(run, out.runs.back());
  }
  return st;
}

// Experiment `name` (with its runs when asked).
status query(cluster::impl& p, const std::string& name, bool with_runs, experiment_view& out) {
  auto req = wire::build<schema::ExperimentQuery>([&](schema::ExperimentQuery::Builder b) {
    b.setName(name);
    b.setWithRuns(with_runs);
  });
  wire::frame f;
  if (auto st = ask(p, &actors::service_handles::registry, f, atoms::query::value, req); !st)
    return st;
  return wire::read<schema::ExperimentInfo>(
    f, [&](schema::ExperimentInfo::Reader r) { return to_view(r, out); });
}

} // namespace

status cluster::list_experiments(std::vector<experiment_view>& out) {
  out.clear();
  auto req = wire::build<schema::ExperimentList>(
    [](schema::ExperimentList::Builder b) { b.setWithRuns(true); });
  wire::frame f;
  if (auto st = ask(*impl_, &actors::service_handles::registry, f, atoms::list::value, req); !st)
    return st;
  return wire::read<schema::ExperimentListing>(f, [&](schema::ExperimentListing::Reader r) {
    status st;
    for (auto e : r.getExperiments()) {
      out.emplace_back();
      if (st)
        st = to_view(e, out.back());
    }
    return st;
  });
}

status cluster::experiment(const std::string& name, experiment_view& out) {
  return query(*impl_, name, true, out);
}

status cluster::metric_series(const std::string& experiment, uint32_t run,
                              const std::string& key, std::vector<metric_point>& out) {
  out.clear();
  if (key.empty())
    return status::error(errc::invalid_argument, "must not be empty", "metric key");
  experiment_view e;
  if (auto st = query(*impl_, experiment, false, e); !st)
    return st;
  auto req = wire::build<schema::MetricQuery>([&](schema::MetricQuery::Builder b) {
    b.setExperimentId(e.id);
    b.setRun(run);
    b.setKey(key);
  });
  wire::frame f;
  if (auto st = ask(*impl_, &actors::service_handles::registry, f, atoms::metrics::value, req);
      !st)
    return st;
  return wire::read<schema::MetricSeriesList>(f, [&](schema::MetricSeriesList::Reader r) {
    for (auto s : r.getSeries())
      for (auto p : s.getPoints())
        out.push_back({p.getStep(), p.getValue(), p.getWallMs()});
    return status::ok();
  });
}

status cluster::logs(const std::string& experiment, std::optional<uint32_t> run, uint32_t tail,
                     std::vector<log_line>& out) {
  out.clear();
  auto req = wire::build<schema::LogQuery>([&](schema::LogQuery::Builder b) {
    b.setExperiment(experiment);
    b.setRun(run.value_or(0));
    b.setAllRuns(!run.has_value());
    b.setTail(tail);
  });
  wire::frame f;
  if (auto st = ask(*impl_, &actors::service_handles::logs, f, atoms::log::value, req); !st)
    return st;
  return wire::read<schema::LogRecords>(f, [&](schema::LogRecords::Reader r) {
    for (auto x : r.getRecords())
      out.push_back({x.getExperiment().cStr(), x.getRun(), x.getLevel().cStr(), x.getWallMs(),
                     x.getNode().cStr(), x.getMessage().cStr()});
    return status::ok();
  });
}

} // namespace lagom
