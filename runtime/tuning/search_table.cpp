#include "tuning/search_table.hpp"

#include <cmath>

namespace lagom::tuning {

namespace {

bool ended_with_value(const trial_view& v) {
  return v.has_value && is_final(v.status);
}

} // namespace

trial_entry& search_table::add(const trial& t) {
  trial_entry e;
  e.t = t;
  e.view.id = t.id;
  e.view.status = run_status::queued;
  e.view.config = t.config;
  e.view.budget = t.budget;
  if (!trials_.empty() && t.id != trials_.back().t.id + 1) {
    // Ids are dense; a gap (ids skipped on resume) is filled so find stays O(1).
    while (trials_.back().t.id + 1 < t.id) {
      trial_entry gap;
      gap.t.id = trials_.back().t.id + 1;
      gap.view.id = gap.t.id;
      gap.missing = true;
      trials_.push_back(gap);
    }
  }
  trials_.push_back(std::move(e));
  return trials_.back();
}

trial_entry* search_table::find(uint32_t id) {
  if (trials_.empty() || id < trials_.front().t.id)
    return nullptr;
  size_t i = id - trials_.front().t.id;
  return i < trials_.size() && !trials_[i].missing ? &trials_[i] : nullptr;
}

void search_table::set_status(trial_entry& e, run_status status) {
  auto count = [&](run_status s, int d) {
    if (s == run_status::running)
      running_ += d;
    else if (s == run_status::finished)
      finished_ += d;
    else if (s == run_status::stopped_early)
      stopped_ += d;
    else if (s == run_status::failed)
      failed_ += d;
  };
  count(e.view.status, -1);
  if (status == run_status::lost)
    ++retried_;
  e.view.status = status;
  count(status, +1);
  if (ended_with_value(e.view) && (!has_best_ || better(e.view.value, best_))) {
    has_best_ = true;
    best_ = e.view.value;
    best_id_ = e.view.id;
  }
}

double search_table::report(trial_entry& e, uint64_t step, double metric) {
  double loss = to_loss(metric);
  if (std::isnan(e.best_loss) || loss < e.best_loss)
    e.best_loss = loss;
  e.last_step = step;
  return loss;
}

search_progress search_table::progress(search_progress::kind_t kind, const trial_entry& e,
                                       uint32_t budget) const {
  search_progress p;
  p.kind = kind;
  p.trial = &e.view;
  p.running = running_;
  p.finished = finished_;
  p.stopped_early = stopped_;
  p.failed = failed_;
  p.num_trials = budget;
  p.has_best = has_best_;
  p.best = best_;
  p.best_trial = best_id_;
  return p;
}

search_result search_table::summarize() const {
  search_result r;
  r.finished = finished_;
  r.early_stopped = stopped_;
  r.failed = failed_;
  r.retried = retried_;
  double sum = 0;
  size_t n = 0;
  bool any_finished = finished_ > 0;
  for (auto& e : trials_) {
    if (e.missing)
      continue;
    r.trials.push_back(e.view);
    ++r.num_trials;
    const auto& v = e.view;
    if (!ended_with_value(v) || (any_finished && v.status != run_status::finished))
      continue;
    sum += v.value;
    ++n;
    if (!r.has_best || better(v.value, r.best.value))
      r.best = v;
    if (!r.has_best || better(r.worst.value, v.value))
      r.worst = v;
    r.has_best = true;
  }
  r.average = n > 0 ? sum / double(n) : 0;
  return r;
}

} // namespace lagom::tuning
