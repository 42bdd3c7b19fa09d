// The interpreter's experiment commands: experiments (one row per
// experiment), show EXPERIMENT (its configuration, then one row per run) and
// logs EXPERIMENT [RUN] [tail=N]. They read the cluster's registry and log
// aggregator through the public API (lagom/experiment.hpp).
#include <chrono>
#include <cmath>
#include <optional>

#include "cli/interpreter.hpp"
#include "cli/table.hpp"

namespace lagom::cli {

namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string values_text(const named_values& v) {
  std::string out;
  for (auto& [k, x] : v.entries())
    out += (out.empty() ? "" : " ") + k + "=" + format_value(x);
  return out.empty() ? "-" : out;
}

std::string ago(int64_t ms) {
  return ms <= 0 ? "-" : format_duration(double(now_ms() - ms) / 1000.0) + " ago";
}

// How long a run ran: to its end, or until now while it runs.
std::string run_time(const run_view& r) {
  if (r.start_ms == 0)
    return "-";
  int64_t end = r.end_ms != 0 ? r.end_ms : r.status == run_status::running ? now_ms() : 0;
  return end == 0 ? "-" : format_duration(double(end - r.start_ms) / 1000.0);
}

bool is_final(const run_view& r) {
  return lagom::is_final(r.status);
}

// With a metric: "<metric>=<best> (run N)" over the finished runs that report
// it in their final metrics. Else the last run with final metrics: its
// optimization metric when it has it, else its first metric, and how many
// more it has ("loss=0.31 +3 more (run 2)"): one column stays one short
// value. "-" when there is nothing to show.
std::string best_or_last(const experiment_view& e) {
  const run_view* best = nullptr;
  double best_value = 0;
  if (!e.metric.empty())
    for (auto& r : e.runs) {
      double v = r.final_metrics.number(e.metric, NAN);
      if (!is_final(r) || std::isnan(v))
        continue;
      if (best == nullptr || (e.direction == "min" ? v < best_value : v > best_value)) {
        best = &r;
        best_value = v;
      }
    }
  if (best != nullptr)
    return e.metric + "=" + format_value(best_value) + " (run " + std::to_string(best->run) + ")";
  for (auto r = e.runs.rbegin(); r != e.runs.rend(); ++r) {
    if (r->final_metrics.empty())
      continue;
    const auto& all = r->final_metrics.entries();
    std::string shown;
    if (!e.metric.empty() && r->final_metrics.contains(e.metric)) {
      named_values one;
      one.set(e.metric, *r->final_metrics.find(e.metric));
      shown = values_text(one);
    } else {
      named_values one;
      one.set(all.front().first, all.front().second);
      shown = values_text(one);
    }
    if (all.size() > 1)
      shown += " +" + std::to_string(all.size() - 1) + " more";
    return shown + (e.runs.size() > 1 ? " (run " + std::to_string(r->run) + ")" : "");
  }
  return "-";
}

} // namespace

bool interpreter::is_experiment_command(const script::command& cmd) {
  return std::holds_alternative<script::experiments_cmd>(cmd) ||
         std::holds_alternative<script::show_cmd>(cmd) ||
         std::holds_alternative<script::logs_cmd>(cmd);
}

status interpreter::execute_experiment_command(const script::command& cmd) {
  if (auto s = std::get_if<script::show_cmd>(&cmd))
    return show_experiment(*s);
  if (auto l = std::get_if<script::logs_cmd>(&cmd))
    return show_logs(*l);
  return list_experiments();
}

status interpreter::list_experiments() {
  std::vector<experiment_view> all;
  if (auto st = cluster_.list_experiments(all); !st)
    return st;
  if (all.empty()) {
    out_ << "no experiments yet" << std::endl;
    return status::ok();
  }
  table t({"NAME", "KIND", "FUNCTION", "STATUS", "RUNS", "CREATED", "BEST / LAST"});
  for (auto& e : all)
    t.add_row({e.name, e.kind, e.function, e.status, std::to_string(e.runs.size()),
               ago(e.created_ms), best_or_last(e)});
  out_ << t << std::flush;
  return status::ok();
}

status interpreter::show_experiment(const script::show_cmd& cmd) {
  experiment_view e;
  if (auto st = cluster_.experiment(cmd.experiment, e); !st)
    return st;
  out_ << "experiment " << e.name << " (id " << e.id << "): " << e.kind << " of '" << e.function
       << "', " << e.status << ", created " << ago(e.created_ms) << " ("
       << format_timestamp(e.created_ms) << ")\n";
  if (!e.metric.empty())
    out_ << "  metric: " << e.metric << " (" << e.direction << ")\n";
  out_ << "  hyperparameters: " << values_text(e.hyperparameters) << "\n";
  out_ << "  best / last: " << best_or_last(e) << "\n";
  if (e.runs.empty()) {
    out_ << "no runs yet" << std::endl;
    return status::ok();
  }
  table t({"RUN", "STATUS", "NODE", "ATTEMPTS", "TIME", "HYPERPARAMETERS", "FINAL METRICS",
           "ERROR"});
  for (auto& r : e.runs)
    t.add_row({std::to_string(r.run), to_string(r.status), r.node.empty() ? "-" : r.node,
               std::to_string(r.attempts), run_time(r), values_text(r.hyperparameters),
               values_text(r.final_metrics), r.error.empty() ? "-" : r.error});
  out_ << t << std::flush;
  return status::ok();
}

status interpreter::show_logs(const script::logs_cmd& cmd) {
  std::vector<log_line> lines;
  std::optional<uint32_t> run;
  if (cmd.has_run)
    run = cmd.run;
  status st = cluster_.logs(cmd.experiment, run, cmd.tail, lines);
  if (st.code() == errc::not_found) {
    // No logs at all: an unknown experiment says so, a known one has none yet.
    experiment_view e;
    if (auto known = cluster_.experiment(cmd.experiment, e); !known)
      return known;
    st = status::ok();
  }
  if (!st)
    return st;
  if (lines.empty()) {
    out_ << "no log records of " << cmd.experiment
         << (cmd.has_run ? " run " + std::to_string(cmd.run) : std::string()) << " yet"
         << std::endl;
    return status::ok();
  }
  for (auto& l : lines)
    out_ << format_timestamp(l.wall_ms) << " " << l.level << " run " << l.run << " "
         << (l.node.empty() ? "-" : l.node) << " " << l.message << "\n";
  out_ << std::flush;
  return status::ok();
}

} // namespace lagom::cli
