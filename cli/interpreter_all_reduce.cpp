// all_reduce / collective_all_reduce: runs a data-parallel job through
// cluster::collective_all_reduce, a progress line per epoch, then the ranks.
#include <unistd.h>

#include <memory>

#include "cli/interpreter.hpp"
#include "cli/progress.hpp"
#include "cli/table.hpp"

namespace lagom::cli {

status interpreter::all_reduce(const script::all_reduce_cmd& cmd) {
  collective_options o;
  o.workers = cmd.workers;
  o.min_workers = cmd.min_workers;
  o.cpus = cmd.cpus;
  o.gpus = cmd.gpus;
  o.memory_mb = cmd.memory_mb;
  o.spread = cmd.spread;
  o.bucket_mb = cmd.bucket_mb;
  o.accumulate = cmd.accumulate;
  o.sync_bn = cmd.sync_bn;
  o.timeline = cmd.timeline;
  o.backend = cmd.backend;
  o.max_restarts = cmd.max_restarts;
  o.collective_timeout = std::chrono::milliseconds(static_cast<int64_t>(cmd.collective_timeout_s * 1000));
  for (auto& [k, v] : cmd.params) {
    if (k == "name") {
      o.name = script::to_string(v);
      continue;
    }
    std::visit([&, k = k](auto& x) { o.params.set(k, x); }, v);
  }
  auto printer = std::make_shared<progress_printer>(out_, ::isatty(STDOUT_FILENO) != 0);
  o.on_progress = [printer](const progress_event& ev) { (*printer)(ev); };
  out_ << "all_reduce " << cmd.function << " on " << cmd.workers << " rank(s)"
       << (cmd.min_workers ? " (at least " + std::to_string(cmd.min_workers) + ")" : "")
       << " ..." << std::endl;
  collective_result r;
  status st = cluster_.collective_all_reduce(cmd.function, o, r);
  if (!r.ranks.empty()) {
    table t({"RANK", "NODE", "CONTAINER", "CPUS", "DEVICE", "GENERATION", "TIME", "RESULT"});
    t.set_title("experiment " + r.experiment + ": " + std::to_string(r.world_size) +
                " rank(s), backend " + r.backend + ", " + std::to_string(r.generations) +
                " generation(s)");
    for (auto& x : r.ranks) {
      std::string result;
      if (!x.result)
        result = failure_cell(x.result);
      else
        for (const char* k : {"test_accuracy", "test_loss"})
          if (x.values.contains(k))
            result += std::string(result.empty() ? "" : " ") + k + "=" + x.values.text(k, "");
      t.add_row({std::to_string(x.rank), x.node, std::to_string(x.container_id),
                 std::to_string(x.cpus), x.device.empty() ? "-" : x.device,
                 std::to_string(x.attempts),
                 x.result ? format_duration(x.elapsed_ms / 1000.0) : "-", result});
    }
    out_ << t << std::flush;
  }
  if (!r.timeline.empty())
    out_ << "timeline: " << r.timeline << std::endl;
  return st;
}

} // namespace lagom::cli
