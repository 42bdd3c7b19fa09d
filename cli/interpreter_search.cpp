// The interpreter's search and resume: a live progress line while trials run
// (on a terminal; elsewhere one line per ended trial), then the trials as a
// table sorted by the metric, the summary Maggy users know, and where the
// plots went.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>

#include "cli/interpreter.hpp"
#include "cli/table.hpp"

namespace lagom::cli {

namespace {

std::string config_text(const named_values& v) {
  std::string out;
  for (auto& [k, x] : v.entries())
    out += (out.empty() ? "" : " ") + k + "=" + format_value(x);
  return out.empty() ? "-" : out;
}

// Prints search_progress events; called on the scheduler's thread.
class search_printer {
public:
  search_printer(std::ostream& out, bool tty) : out_(out), tty_(tty) {}

  void operator()(const search_progress& p) {
    if (p.kind == search_progress::report && !tty_)
      return;
    std::string best = p.has_best ? format_value(p.best) + " (trial " +
                                      std::to_string(p.best_trial) + ")"
                                  : "-";
    std::string counts = "running " + std::to_string(p.running) + "  finished " +
                         std::to_string(p.finished) + "  stopped early " +
                         std::to_string(p.stopped_early) + "  failed " +
                         std::to_string(p.failed) + "  of " + std::to_string(p.num_trials) +
                         "  best " + best;
    const trial_view& t = *p.trial;
    if (p.kind == search_progress::trial_ended || p.kind == search_progress::trial_retrying) {
      if (tty_)
        out_ << "\r\033[K";
      out_ << "trial " << t.id << " " << to_string(t.status);
      if (t.has_value)
        out_ << " " << format_value(t.value);
      if (!t.error.empty())
        out_ << " (" << t.error << ")";
      out_ << "  [" << config_text(t.config) << "]\n";
    }
    if (tty_)
      out_ << "\r\033[K" << counts << std::flush;
    else if (p.kind == search_progress::trial_ended)
      out_ << "  " << counts << "\n" << std::flush;
  }

  void done() {
    if (tty_)
      out_ << "\n";
  }

private:
  std::ostream& out_;
  bool tty_;
};

} // namespace

status interpreter::search(const script::search_cmd& cmd) {
  bool tty = ::isatty(STDOUT_FILENO) != 0;
  auto printer = std::make_shared<search_printer>(out_, tty);
  search_watch watch;
  watch.on_progress = [printer](const search_progress& p) { (*printer)(p); };
  out_ << "searching " << cmd.function << " with " << cmd.opts.optimizer << ", "
       << cmd.opts.num_trials << " trials, " << cmd.opts.direction << " " << cmd.opts.metric
       << " over { " << cmd.space.to_string() << " }" << std::endl;
  search_result r;
  status st = cluster_.search(cmd.function, cmd.space, cmd.opts, r, watch);
  printer->done();
  return st ? print_search(r) : st;
}

status interpreter::resume(const script::resume_cmd& cmd) {
  // A training launch: its unfinished runs start again from their newest
  // checkpoints (launch_options::resume); a search goes on below.
  experiment_view v;
  if (cluster_.experiment(cmd.experiment, v) && v.kind == "train") {
    out_ << "resuming launch " << cmd.experiment << " of " << v.function << std::endl;
    launch_options lo;
    lo.resume = true;
    lo.name = cmd.experiment;
    return launch_and_print(v.function, std::move(lo));
  }
  bool tty = ::isatty(STDOUT_FILENO) != 0;
  auto printer = std::make_shared<search_printer>(out_, tty);
  search_watch watch;
  watch.on_progress = [printer](const search_progress& p) { (*printer)(p); };
  out_ << "resuming search " << cmd.experiment << std::endl;
  search_result r;
  status st = cluster_.resume(cmd.experiment, r, watch);
  printer->done();
  return st ? print_search(r) : st;
}

status interpreter::print_search(const search_result& r) {
  bool maximize = r.direction != "min";
  std::vector<const trial_view*> order;
  for (auto& t : r.trials)
    order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [&](const trial_view* a, const trial_view* b) {
    if (a->has_value != b->has_value)
      return a->has_value;
    return a->has_value && (maximize ? a->value > b->value : a->value < b->value);
  });
  bool budgeted = std::any_of(r.trials.begin(), r.trials.end(),
                              [](const trial_view& t) { return t.budget > 0; });
  std::vector<std::string> head = {"TRIAL", "STATUS", r.metric};
  if (budgeted)
    head.push_back("BUDGET");
  for (const char* h : {"ATTEMPTS", "NODE", "TIME", "HYPERPARAMETERS", "ERROR"})
    head.push_back(h);
  table t(head);
  for (auto* x : order) {
    std::vector<std::string> row = {std::to_string(x->id), to_string(x->status),
                                    x->has_value ? format_value(x->value) : "-"};
    if (budgeted)
      row.push_back(format_value(x->budget));
    row.push_back(std::to_string(x->attempts));
    row.push_back(x->node.empty() ? "-" : x->node);
    row.push_back(x->elapsed_ms > 0 ? format_duration(x->elapsed_ms / 1000.0) : "-");
    row.push_back(config_text(x->config));
    row.push_back(x->error.empty() ? "-" : x->error);
    t.add_row(row);
  }
  out_ << t;
  out_ << "search " << r.experiment << ": " << r.num_trials << " trials, " << r.finished
       << " finished, " << r.early_stopped << " stopped early, " << r.failed << " failed, "
       << r.retried << " retried, in " << format_duration(r.elapsed_ms / 1000.0) << "\n";
  if (r.has_best) {
    out_ << "  best:    trial " << r.best.id << " " << r.metric << "=" << format_value(r.best.value)
         << "  [" << config_text(r.best.config) << "]\n";
    out_ << "  worst:   trial " << r.worst.id << " " << r.metric << "="
         << format_value(r.worst.value) << "  [" << config_text(r.worst.config) << "]\n";
    out_ << "  average: " << format_value(r.average) << "\n";
  } else {
    out_ << "  no trial produced a value of '" << r.metric << "'\n";
  }
  for (auto& p : r.plots)
    out_ << "  plot: " << p << "\n";
  out_ << std::flush;
  return status::ok();
}

} // namespace lagom::cli
