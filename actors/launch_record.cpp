#include "actors/launch_record.hpp"

#include "actors/experiment_frames.hpp"
#include "wire/convert.hpp"

namespace lagom::actors {

named_values launch_definition(const launch_options& o, size_t world) {
  named_values d;
  d.set("launch.count", double(o.resume ? world : o.count));
  d.set("launch.all", o.all ? 1.0 : 0.0);
  d.set("launch.cpus", double(o.cpus));
  d.set("launch.gpus", double(o.gpus));
  d.set("launch.memory_mb", double(o.memory_mb));
  d.set("launch.gang", o.gang ? 1.0 : 0.0);
  d.set("launch.spread", o.spread ? 1.0 : 0.0);
  d.set("launch.max_restarts", double(o.max_restarts));
  return d;
}

status read_recorded_launch(schema::ExperimentInfo::Reader r, const std::string& name,
                            launch_options& opts, recorded_launch& out) {
  if (r.getKind() != schema::ExperimentKind::TRAIN)
    return status::error(errc::invalid_argument, "it is a search: resume it as one", name);
  auto def = wire::from_wire(r.getSearch());
  if (!def.contains("launch.count"))
    return status::error(errc::invalid_argument,
                         "recorded without its launch definition: cannot resume", name);
  out = recorded_launch{};
  out.function = frames::text(r.getFunction());
  out.world = static_cast<uint32_t>(def.number("launch.count", 1));
  if (def.number("launch.all", 0) != 0) // as many as fitted: as many as recorded
    out.world = r.getRuns().size();
  opts.params = wire::from_wire(r.getHyperparameters());
  opts.cpus = static_cast<uint32_t>(def.number("launch.cpus", 1));
  opts.gpus = static_cast<uint32_t>(def.number("launch.gpus", 0));
  opts.memory_mb = static_cast<uint64_t>(def.number("launch.memory_mb", 0));
  opts.gang = def.number("launch.gang", 0) != 0;
  opts.spread = def.number("launch.spread", 0) != 0;
  opts.max_restarts = static_cast<uint32_t>(def.number("launch.max_restarts", 3));
  opts.count = out.world;
  for (uint32_t rank = 0; rank < out.world; ++rank) {
    container_outcome o;
    o.experiment = name;
    o.run = rank;
    o.rank = rank;
    o.attempts = 0;
    out.outcomes.push_back(std::move(o));
  }
  std::vector<bool> finished(out.world, false);
  for (auto run : r.getRuns()) {
    if (run.getRun() >= out.world)
      continue;
    auto& o = out.outcomes[run.getRun()];
    o.attempts = run.getAttempts();
    o.node = frames::text(run.getNode());
    o.values = wire::from_wire(run.getFinalMetrics());
    finished[run.getRun()] = run.getStatus() == schema::RunStatus::FINISHED;
  }
  for (uint32_t rank = 0; rank < out.world; ++rank)
    if (!finished[rank])
      out.todo.push_back(rank);
  return status::ok();
}

} // namespace lagom::actors
