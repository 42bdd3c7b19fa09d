#include "actors/cancel_runs.hpp"

#include <chrono>
#include <vector>

#include <caf/all.hpp>

#include "schemas/experiment.capnp.h"
#include "wire/atoms.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

namespace {

struct open_run {
  uint64_t experiment;
  uint32_t run;
};

// A request answered with nothing (a run update, an experiment's end).
template <class Atom>
status tell(caf::scoped_actor& self, const caf::actor& to, std::chrono::milliseconds timeout,
            Atom verb, wire::frame f) {
  status out;
  self->request(to, timeout, verb, std::move(f))
    .receive([] {}, [&](caf::error& e) { out = wire::to_status(e); });
  return out;
}

} // namespace

status cancel_running(caf::actor_system& sys, const caf::actor& registry,
                      const std::string& reason, std::chrono::milliseconds timeout,
                      cancel_counts* out) {
  *out = cancel_counts{};
  if (!registry)
    return status::error(errc::unavailable, "no registry", "cancel");
  caf::scoped_actor self{sys};
  wire::frame listing;
  auto req = wire::build<schema::ExperimentList>(
    [](schema::ExperimentList::Builder b) { b.setWithRuns(true); });
  status listed;
  self->request(registry, timeout, atoms::list::value, std::move(req))
    .receive([&](wire::frame& f) { listing = std::move(f); },
             [&](caf::error& e) { listed = wire::to_status(e); });
  if (!listed)
    return listed;
  std::vector<uint64_t> experiments;
  std::vector<open_run> runs;
  auto rd = wire::read<schema::ExperimentListing>(listing, [&](schema::ExperimentListing::Reader r) {
    for (auto e : r.getExperiments()) {
      if (std::string(e.getStatus().cStr()) != "running")
        continue;
      experiments.push_back(e.getId());
      for (auto run : e.getRuns()) {
        auto s = run.getStatus();
        if (s == schema::RunStatus::QUEUED || s == schema::RunStatus::RUNNING ||
            s == schema::RunStatus::LOST)
          runs.push_back({e.getId(), run.getRun()});
      }
    }
    return status::ok();
  });
  if (!rd)
    return rd;
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  for (auto& r : runs) {
    auto f = wire::build<schema::RunUpdate>([&](schema::RunUpdate::Builder b) {
      b.setExperimentId(r.experiment);
      b.setRun(r.run);
      b.setStatus(schema::RunStatus::CANCELLED);
      b.setError("cancelled: " + reason);
      b.setAtMs(now);
    });
    if (auto st = tell(self, registry, timeout, atoms::run_update::value, f); !st)
      return st;
    ++out->runs;
  }
  for (auto id : experiments) {
    auto f = wire::build<schema::ExperimentEnd>([&](schema::ExperimentEnd::Builder b) {
      b.setExperimentId(id);
      b.setStatus("stopped");
    });
    if (auto st = tell(self, registry, timeout, atoms::exp_end::value, f); !st)
      return st;
    ++out->experiments;
  }
  return status::ok();
}

} // namespace lagom::actors
