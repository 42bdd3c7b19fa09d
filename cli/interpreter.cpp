#include "cli/interpreter.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>

#include <unistd.h>

#include "cli/progress.hpp"
#include "cli/table.hpp"

namespace lagom::cli {

namespace {

std::string values_cell(const named_values& v) {
  if (auto m = v.find("message"))
    return format_value(*m);
  std::string out;
  for (auto& [k, x] : v.entries())
    out += (out.empty() ? "" : " ") + k + "=" + format_value(x);
  return out;
}

std::string gpus_cell(const std::vector<uint32_t>& gpus) {
  std::string out;
  for (auto g : gpus)
    out += (out.empty() ? "" : ",") + std::to_string(g);
  return out.empty() ? "-" : out;
}

} // namespace

status interpreter::execute(const script::command& cmd, bool& quit) {
  quit = false;
  if (auto l = std::get_if<script::launch_cmd>(&cmd))
    return launch(*l);
  if (auto d = std::get_if<script::all_reduce_cmd>(&cmd))
    return all_reduce(*d);
  if (auto s = std::get_if<script::search_cmd>(&cmd))
    return search(*s);
  if (auto r = std::get_if<script::resume_cmd>(&cmd))
    return resume(*r);
  if (std::holds_alternative<script::status_cmd>(cmd))
    return show_status();
  if (is_experiment_command(cmd))
    return execute_experiment_command(cmd);
  if (is_feature_command(cmd))
    return execute_feature_command(cmd);
  if (auto h = std::get_if<script::help_cmd>(&cmd)) {
    if (h->topic.empty()) {
      out_ << script::help_overview();
      return status::ok();
    }
    auto text = script::help_text(h->topic);
    if (text.empty())
      return status::error(errc::not_found, "no command '" + h->topic + "'", "help");
    out_ << text;
    return status::ok();
  }
  quit = true;
  return status::ok();
}

status interpreter::launch(const script::launch_cmd& cmd) {
  launch_options lo;
  lo.count = cmd.count;
  lo.all = cmd.all;
  lo.gang = cmd.gang;
  lo.spread = cmd.spread;
  lo.cpus = cmd.cpus;
  lo.gpus = cmd.gpus;
  lo.memory_mb = cmd.memory_mb;
  for (auto& [k, v] : cmd.params) {
    if (k == "name") { // reserved: the experiment's name, not a hyperparameter
      lo.name = script::to_string(v);
      continue;
    }
    std::visit([&, k = k](auto& x) { lo.params.set(k, x); }, v);
  }
  out_ << "launching " << cmd.function << " on "
       << (cmd.all ? std::string("every free slot") : std::to_string(cmd.count) + " container(s)")
       << (cmd.gang ? " (gang)" : "") << " ..." << std::endl;
  return launch_and_print(cmd.function, std::move(lo));
}

status interpreter::launch_and_print(const std::string& function, launch_options lo) {
  auto printer = std::make_shared<progress_printer>(out_, ::isatty(STDOUT_FILENO) != 0);
  lo.on_progress = [printer](const progress_event& ev) { (*printer)(ev); };
  std::vector<container_outcome> outcomes;
  if (auto st = cluster_.launch(function, lo, outcomes); !st)
    return st;
  // Numbers only (a training run's metrics): one column per metric.
  std::vector<std::string> keys;
  bool numeric = true;
  for (auto& o : outcomes)
    for (auto& [k, v] : o.values.entries()) {
      numeric = numeric && std::holds_alternative<double>(v);
      if (std::find(keys.begin(), keys.end(), k) == keys.end())
        keys.push_back(k);
    }
  numeric = numeric && !keys.empty() && keys.size() <= 8;
  std::vector<std::string> head{"RUN", "NODE", "CONTAINER", "CPUS", "GPUS", "DEVICE", "ATTEMPTS",
                                "TIME"};
  if (numeric)
    head.insert(head.end(), keys.begin(), keys.end());
  else
    head.push_back("RESULT");
  table t(head);
  if (!outcomes.empty() && !outcomes.front().experiment.empty())
    t.set_title("experiment " + outcomes.front().experiment);
  size_t failed = 0, cancelled = 0;
  status first_failure;
  for (auto& o : outcomes) {
    if (!o.result && failed++ == 0)
      first_failure = o.result;
    cancelled += cli::cancelled(o.result) ? 1 : 0;
    std::vector<std::string> row{std::to_string(o.run), o.node, std::to_string(o.container_id),
                                 std::to_string(o.cpus), gpus_cell(o.gpus),
                                 o.device.empty() ? "-" : o.device, std::to_string(o.attempts),
                                 o.result ? format_duration(o.elapsed_ms / 1000.0) : "-"};
    if (!o.result)
      row.push_back(failure_cell(o.result));
    else if (numeric)
      for (auto& k : keys)
        row.push_back(o.values.contains(k) ? o.values.text(k, "") : "");
    else
      row.push_back(values_cell(o.values));
    t.add_row(row);
  }
  out_ << t << std::flush;
  if (failed > 0)
    return status::error(first_failure.code(),
                         std::to_string(failed) + " of " + std::to_string(outcomes.size()) +
                           (cancelled == failed ? " container(s) cancelled; first: "
                                                : " container(s) failed; first: ") +
                           first_failure.to_string(),
                         function);
  return status::ok();
}

status interpreter::show_status() {
  cluster_view view;
  if (auto st = cluster_.describe(view); !st)
    return st;
  table t({"NODE", "HOST", "CPUS", "CPUS USED", "MEMORY MB", "MEMORY USED", "GPUS",
           "GPUS USED", "CONTAINERS"});
  t.set_title(std::string(cluster_.embedded() ? "embedded cluster" : "cluster") + ": "
              + std::to_string(view.nodes.size()) + " node(s), "
              + std::to_string(view.queued_requests) + " queued request(s), "
              + std::to_string(view.lost_nodes) + " lost node(s)");
  for (auto& n : view.nodes)
    t.add_row({n.name, n.host, std::to_string(n.cpus), std::to_string(n.cpus_used),
               std::to_string(n.memory_mb), std::to_string(n.memory_used_mb),
               std::to_string(n.gpus), std::to_string(n.gpus_used),
               std::to_string(n.containers)});
  out_ << t << std::flush;
  return status::ok();
}

} // namespace lagom::cli
