// lagom::cluster::search and resume (declared in lagom/cluster.hpp): checks
// what only the caller can get wrong, runs a trial_scheduler, waits, writes
// the plots.
#include <caf/all.hpp>

#include "actors/api/cluster_impl.hpp"
#include "actors/api/search_plots.hpp"
#include "actors/trial_scheduler.hpp"
#include "ddp/job_policy.hpp"
#include "tuning/optimizer.hpp"
#include "wire/atoms.hpp"

namespace lagom {

namespace {

status bad(const std::string& what, const std::string& where) {
  return status::error(errc::invalid_argument, what, where);
}

status check_options(const searchspace& space, const search_options& o) {
  if (o.direction != "max" && o.direction != "min")
    return bad("must be max or min, got '" + o.direction + "'", "direction");
  if (o.metric.empty())
    return bad("must name the metric to optimize", "metric");
  if (space.empty())
    return bad("a search needs at least one hyperparameter to vary", "space");
  if (o.num_trials == 0 && o.time_budget.count() == 0)
    return bad("a search needs a trial budget or a time budget", "trials");
  if (o.workers == 0)
    return bad("must be at least 1 (ranks per trial)", "workers");
  if (o.heartbeat_timeout.count() < 0 || o.time_budget.count() < 0)
    return bad("must not be negative", o.time_budget.count() < 0 ? "time_budget"
                                                                 : "heartbeat_timeout");
  for (auto& [k, v] : o.params.entries())
    if (space.index_of(k) < space.size())
      return bad("'" + k + "' is both searched and fixed", "params." + k);
  bool budgeted = tuning::optimizer_budgeted(o.optimizer);
  if (budgeted && (o.resource.empty() || space.index_of(o.resource) < space.size() ||
                   o.params.contains(o.resource)))
    return bad("the hyperparameter that receives " + o.optimizer + "'s budget ('" + o.resource +
                 "') must be neither searched nor fixed",
               "resource");
  return status::ok();
}

status run_search(cluster::impl& p, actors::search_job job, search_result& out,
                  const search_watch& watch) {
  auto report = std::make_shared<actors::search_report>();
  job.on_progress = watch.on_progress;
  std::string name = job.opts.name.empty() ? "EXPERIMENT" : job.opts.name;
  auto sched = actors::spawn_trial_scheduler(*p.sys, p.head, std::move(job), report);
  // Finished trials are in the head's registry: resume keeps them.
  if (auto failed = p.drive(sched, caf::infinite,
                            "; `lagom resume " + name + "` continues the search (its "
                            "finished trials kept) once a head runs on its data again");
      !failed)
    return failed;
  if (!report->overall)
    return report->overall;
  out = std::move(report->result);
  if (watch.plot_dir != "-" && !out.trials.empty()) {
    std::string dir = watch.plot_dir.empty() ? p.data_dir + "/plots/" + out.experiment
                                             : watch.plot_dir;
    if (auto st = write_search_plots(report->space, out, dir, out.plots); !st)
      return st;
  }
  return status::ok();
}

} // namespace

status cluster::search(const std::string& function, const searchspace& space,
                       const search_options& opts, search_result& out,
                       const search_watch& watch) {
  if (auto st = check_options(space, opts); !st)
    return st;
  if (opts.workers > 1) {
    // A trial's gang must fit the cluster (the DDP job's check, naming workers).
    cluster_view view;
    if (auto st = describe(view); !st)
      return st;
    std::vector<ddp::node_capacity> nodes;
    for (const auto& n : view.nodes)
      nodes.push_back({n.name, n.host, n.cpus, n.memory_mb, n.gpus});
    ddp::job_options j;
    j.workers = opts.workers;
    j.cpus = opts.cpus;
    j.gpus = opts.gpus;
    if (auto st = ddp::validate(j, nodes); !st)
      return status::error(st.code(), "each trial runs on workers=" +
                                          std::to_string(opts.workers) + " ranks: " + st.message(),
                           st.where());
  }
  actors::search_job job;
  job.function = function;
  job.space = space;
  job.opts = opts;
  return run_search(*impl_, std::move(job), out, watch);
}

status cluster::resume(const std::string& experiment, search_result& out,
                       const search_watch& watch) {
  if (experiment.empty())
    return bad("must name the search to resume", "experiment");
  actors::search_job job;
  job.resume = true;
  job.opts.name = experiment;
  return run_search(*impl_, std::move(job), out, watch);
}

} // namespace lagom
