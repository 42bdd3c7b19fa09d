#include "actors/experiment_frames.hpp"

#include "lagom/cluster.hpp"

#include "wire/convert.hpp"
#include "wire/read.hpp"

namespace lagom::actors::frames {

namespace {

// `v` as storage enum E when its number is at most `last`.
template <class E, class W>
status checked(W v, E last, const char* field, const char* names, E* out) {
  auto n = static_cast<uint16_t>(v);
  if (n > static_cast<uint16_t>(last))
    return status::error(errc::invalid_argument,
                         "unknown value " + std::to_string(n) + " (expected " + names + ")",
                         field);
  *out = static_cast<E>(n);
  return status::ok();
}

} // namespace

std::string text(capnp::Text::Reader t) {
  return std::string(t.begin(), t.size());
}

status from_wire(schema::ExperimentKind v, storage::experiment_kind* out) {
  return checked(v, storage::experiment_kind::search, "kind", "train or search", out);
}

status from_wire(schema::RunStatus v, storage::run_status* out) {
  return checked(v, storage::run_status::cancelled, "status",
                 "queued, running, finished, failed, stoppedEarly, lost or cancelled", out);
}

status from_wire(schema::Direction v, storage::direction* out) {
  return checked(v, storage::direction::min, "direction", "max or min", out);
}

schema::ExperimentKind to_wire(storage::experiment_kind v) {
  return static_cast<schema::ExperimentKind>(v);
}

schema::RunStatus to_wire(storage::run_status v) {
  return static_cast<schema::RunStatus>(v);
}

schema::Direction to_wire(storage::direction v) {
  return static_cast<schema::Direction>(v);
}

status parse_end_status(const std::string& s, storage::experiment_status* out) {
  for (auto v : {storage::experiment_status::finished, storage::experiment_status::failed,
                 storage::experiment_status::stopped})
    if (s == storage::to_string(v)) {
      *out = v;
      return status::ok();
    }
  return status::error(errc::invalid_argument,
                       "expected finished, failed or stopped, got '" + s + "'", "status");
}

void to_wire(schema::RunInfo::Builder b, const storage::run_record& r) {
  b.setRun(r.run);
  b.setStatus(to_wire(r.status));
  wire::to_wire(b.initHyperparameters(static_cast<unsigned>(r.hyperparameters.size())),
                r.hyperparameters);
  b.setStartMs(r.start_ms);
  b.setEndMs(r.end_ms);
  b.setNode(r.node);
  b.setContainer(r.container);
  b.setAttempts(r.attempts);
  b.setError(r.error);
  wire::to_wire(b.initFinalMetrics(static_cast<unsigned>(r.final_metrics.size())),
                r.final_metrics);
}

void to_wire(schema::RunUpdate::Builder b, uint64_t experiment_id, const run_change& c) {
  b.setExperimentId(experiment_id);
  b.setRun(c.run);
  b.setStatus(to_wire(c.status));
  wire::to_wire(b.initHyperparameters(static_cast<unsigned>(c.hyperparameters.size())),
                c.hyperparameters);
  b.setNode(c.node);
  b.setContainer(c.container);
  b.setError(c.error);
  wire::to_wire(b.initFinalMetrics(static_cast<unsigned>(c.final_metrics.size())),
                c.final_metrics);
  b.setAtMs(c.at_ms);
}

run_change outcome_change(uint32_t run, storage::run_status s, const named_values& params,
                          const container_outcome& o, const std::string& error) {
  run_change c;
  c.run = run;
  c.status = s;
  c.hyperparameters = params;
  c.node = o.node;
  c.container = o.container_id;
  c.error = error;
  c.final_metrics = o.values;
  return c;
}

wire::frame run_update(uint64_t experiment_id, const run_change& c) {
  return wire::build<schema::RunUpdate>(
    [&](schema::RunUpdate::Builder b) { to_wire(b, experiment_id, c); });
}

wire::frame metric_report(schema::TrainReport::Reader r) {
  return wire::build<schema::MetricReport>([&](schema::MetricReport::Builder b) {
    b.setExperimentId(r.getExperimentId());
    b.setRun(r.getRun());
    b.setStep(r.getStep());
    b.setMetrics(r.getMetrics());
  });
}

void to_wire(schema::ExperimentInfo::Builder b, const storage::experiment& e,
             const std::vector<storage::run_record>* runs) {
  b.setId(e.id);
  b.setName(e.name);
  b.setKind(to_wire(e.kind));
  b.setStatus(storage::to_string(e.status));
  b.setCreatedMs(e.created_ms);
  b.setFunction(e.config.function);
  wire::to_wire(b.initHyperparameters(static_cast<unsigned>(e.config.hyperparameters.size())),
                e.config.hyperparameters);
  b.setMetric(e.config.metric);
  b.setDirection(to_wire(e.config.dir));
  wire::to_wire(b.initSearch(static_cast<unsigned>(e.config.search.size())), e.config.search);
  if (runs == nullptr)
    return;
  auto list = b.initRuns(static_cast<unsigned>(runs->size()));
  for (unsigned i = 0; i < runs->size(); ++i)
    to_wire(list[i], (*runs)[i]);
}

wire::frame info_frame(const storage::experiment& e,
                       const std::vector<storage::run_record>* runs) {
  return wire::build<schema::ExperimentInfo>(
    [&](schema::ExperimentInfo::Builder b) { to_wire(b, e, runs); });
}

} // namespace lagom::actors::frames
