#include "tuning/search_policy.hpp"

#include <algorithm>
#include <cmath>

namespace lagom::tuning {

const char* to_string(search_phase p) noexcept {
  switch (p) {
    case search_phase::starting: return "starting";
    case search_phase::running: return "running";
    case search_phase::draining: return "draining";
    case search_phase::ending: return "ending";
    case search_phase::ended: return "ended";
  }
  return "unknown";
}

search_policy::search_policy(search_options opts) : opts_(std::move(opts)) {}

status search_policy::configure(const searchspace& space) {
  optimizer_options oo;
  oo.name = opts_.optimizer;
  oo.seed = opts_.seed;
  oo.num_trials = opts_.num_trials;
  oo.settings = opts_.optimizer_settings;
  std::unique_ptr<optimizer> opt;
  if (auto s = make_optimizer(space, oo, opt); !s)
    return s;
  std::unique_ptr<early_stopper> stopper;
  if (auto s = make_early_stopper(opts_.early_stopping, stopper); !s)
    return s;
  configure(std::move(opt), std::move(stopper));
  return status::ok();
}

void search_policy::configure(std::unique_ptr<optimizer> opt,
                              std::unique_ptr<early_stopper> stopper) {
  opt_ = std::move(opt);
  stopper_ = std::move(stopper);
  table_ = search_table(opts_.direction != "min");
}

bool search_policy::budgeted() const {
  return optimizer_budgeted(opts_.optimizer);
}

uint32_t search_policy::lookahead() const {
  // Asking early changes nothing when the optimizer does not learn from
  // results and no time budget could end the search before it starts.
  // A data-parallel trial's ranks start it together: no lookahead.
  return opt_ && !opt_->learns() && opts_.time_budget.count() == 0 && opts_.workers <= 1 ? 1
                                                                                        : 0;
}

named_values search_policy::launch_params(const trial& t) const {
  named_values p = opts_.params;
  for (auto& [k, v] : t.config.entries())
    p.set(k, v);
  if (t.budget > 0)
    p.set(opts_.resource, t.budget);
  return p;
}

named_values search_policy::stored_params(const trial& t) const {
  named_values p = launch_params(t);
  const optimizer_spec* spec = find_optimizer(opts_.optimizer);
  if (spec != nullptr && spec->bracketed)
    p.set("bracket", double(t.bracket));
  return p;
}

named_values search_policy::probe_params(const searchspace& space) const {
  trial centre;
  centre.config = space.from_unit(std::vector<double>(space.size(), 0.5));
  centre.budget = budgeted() ? 1 : 0;
  return launch_params(centre);
}

// --- resume ------------------------------------------------------------------

void search_policy::restore(const stored_trial& s) {
  trial t = s.t;
  opt_->adopt(t);
  auto& e = table_.add(t);
  e.view.attempts = s.attempts;
  e.view.node = s.node;
  e.view.error = s.error;
  if (is_final(s.status) && !std::isnan(s.value)) {
    e.view.has_value = true;
    e.view.value = s.value;
    auto how = s.status == run_status::finished ? outcome::finished : outcome::stopped_early;
    opt_->tell({t, how, table_.to_loss(s.value)});
    table_.set_status(e, s.status);
  } else if (s.status == run_status::failed || is_final(s.status)) {
    opt_->tell({t, outcome::failed, NAN});
    table_.set_status(e, run_status::failed);
  } else {
    retry_.push_back(t.id);  // queued, running or lost when the driver died
  }
  next_id_ = std::max(next_id_, t.id + 1);
}

std::vector<uint32_t> search_policy::ended_trials() const {
  std::vector<uint32_t> ended;
  for (auto& e : table_.entries())
    if (!e.missing && (is_final(e.view.status) || e.view.status == run_status::failed))
      ended.push_back(e.t.id);
  return ended;
}

void search_policy::replay_report(uint32_t id, uint64_t step, double metric) {
  if (stopper_)
    stopper_->on_report(id, step, table_.to_loss(metric));
}

void search_policy::replay_end(uint32_t id) {
  auto* e = table_.find(id);
  if (!stopper_ || e == nullptr)
    return;
  stopper_->on_end(id, e->view.status == run_status::failed     ? outcome::failed
                       : e->view.status == run_status::finished ? outcome::finished
                                                                : outcome::stopped_early);
}

// --- containers --------------------------------------------------------------

size_t search_policy::add_container(uint64_t id, std::string node) {
  slot s;
  s.id = id;
  s.node = std::move(node);
  slots_.push_back(std::move(s));
  return slots_.size() - 1;
}

void search_policy::loop_started(size_t i, search_clock::time_point now) {
  slots_[i].starting = true;
  slots_[i].last_beat = now;
}

std::optional<size_t> search_policy::slot_of(uint64_t id) const {
  for (size_t i = 0; i < slots_.size(); ++i)
    if (slots_[i].id == id)
      return slots_[i].gone ? std::nullopt : std::optional<size_t>(i);
  return std::nullopt;
}

std::vector<uint64_t> search_policy::held() const {
  std::vector<uint64_t> ids;
  for (auto& s : slots_)
    if (!s.gone)
      ids.push_back(s.id);
  return ids;
}

// --- trials ------------------------------------------------------------------

void search_policy::begin(search_clock::time_point now) {
  if (phase_ != search_phase::starting)
    return;
  phase_ = search_phase::running;
  started_ = now;
  if (opts_.time_budget.count() > 0)
    deadline_ = now + opts_.time_budget;
}

bool search_policy::deadline_passed(search_clock::time_point now) const {
  return deadline_ && now >= *deadline_;
}

void search_policy::change(const trial_entry& e, uint64_t container, bool notify,
                           search_progress::kind_t kind) {
  changes_.push_back({e.t.id, e.view.status, container, notify, kind});
}

std::vector<trial_change> search_policy::take_changes() {
  return std::exchange(changes_, {});
}

void search_policy::exhaust() {
  if (phase_ == search_phase::running)
    phase_ = search_phase::draining;
}

void search_policy::asked(size_t i) {
  slots_[i].starting = false;
}

std::optional<placed> search_policy::next(size_t i, search_clock::time_point now) {
  bool taking = phase_ == search_phase::running || phase_ == search_phase::draining;
  if (!taking || slots_[i].gone || deadline_passed(now))
    return std::nullopt;
  uint32_t id = 0;
  if (!retry_.empty()) {
    id = retry_.front();
    retry_.pop_front();
  } else {
    if (phase_ == search_phase::draining)
      return std::nullopt;
    if (opts_.num_trials > 0 && next_id_ >= opts_.num_trials) {
      exhaust();
      return std::nullopt;
    }
    trial t;
    t.id = next_id_;
    auto a = opt_->ask(t);
    if (a == ask_status::wait)
      return std::nullopt;  // asked again after the next tell
    if (a == ask_status::exhausted) {
      exhaust();
      return std::nullopt;
    }
    ++next_id_;
    change(table_.add(t));
    id = t.id;
  }
  launch(i, id);
  if (slots_[i].trials.size() == 1)
    start_front(i, now);
  return slots_[i].trials.back();
}

void search_policy::launch(size_t i, uint32_t id) {
  auto& e = *table_.find(id);
  e.handed = std::max(e.handed, e.view.attempts) + 1;
  slots_[i].trials.push_back({id, e.handed});
}

// Slot i's first trial starts running (its loop runs its trials in order).
void search_policy::start_front(size_t i, search_clock::time_point now) {
  auto& s = slots_[i];
  auto& e = *table_.find(s.trials.front().trial);
  e.view.attempts = s.trials.front().attempt;
  e.view.node = s.node;
  e.best_loss = NAN;
  s.last_beat = now;
  table_.set_status(e, run_status::running);
  change(e, s.id, true, search_progress::trial_started);
}

void search_policy::end_trial(trial_entry& e, outcome how, double loss) {
  opt_->tell({e.t, how, loss});
  if (stopper_)
    stopper_->on_end(e.t.id, how);
  table_.set_status(e, to_run_status(how));
  change(e, 0, true, search_progress::trial_ended);
}

void search_policy::lose_trial(trial_entry& e, const std::string& why) {
  e.view.error = why;
  e.stop_requested = false;
  if (e.view.attempts - std::min(e.unstarted, e.view.attempts) <= opts_.max_retries) {
    table_.set_status(e, run_status::lost);
    if (stopper_)
      stopper_->on_retry(e.t.id);
    retry_.push_back(e.t.id);
    change(e, 0, true, search_progress::trial_retrying);
  } else {
    e.view.error = "lost " + std::to_string(e.view.attempts) + " times; last: " + why;
    end_trial(e, outcome::failed, NAN);
  }
}

void search_policy::judge(trial_entry& e, const status& result, const named_values& values) {
  if (!result) {
    e.view.error = result.to_string();
    return end_trial(e, outcome::failed, NAN);
  }
  const value* v = values.find(opts_.metric);
  bool returned = v != nullptr && std::holds_alternative<double>(*v) &&
                  !std::isnan(std::get<double>(*v));
  if (e.stop_requested && !std::isnan(e.best_loss)) {
    e.view.has_value = true;
    e.view.value = table_.to_metric(e.best_loss);
    end_trial(e, outcome::stopped_early, e.best_loss);
  } else if (returned || !std::isnan(e.best_loss)) {
    e.view.has_value = true;
    e.view.value = returned ? std::get<double>(*v) : table_.to_metric(e.best_loss);
    end_trial(e, outcome::finished, table_.to_loss(e.view.value));
  } else {
    e.view.error = "returned no number '" + opts_.metric + "'";
    end_trial(e, outcome::failed, NAN);
  }
}

loop_fate search_policy::returned(size_t i, uint32_t id, uint32_t attempt, const status& result,
                             const named_values& values, double elapsed_ms,
                             search_clock::time_point now) {
  auto& s = slots_[i];
  if (s.gone || !s.busy() || s.trials.front().trial != id || s.trials.front().attempt != attempt)
    return loop_fate::none;  // a straggler's late answer: its trial moved on
  if (result.code() == errc::container_lost)
    return lose(i, result.to_string()) ? loop_fate::replace : loop_fate::give_up;
  s.trials.pop_front();
  auto& e = *table_.find(id);
  e.view.elapsed_ms = elapsed_ms;
  judge(e, result, values);
  if (slots_[i].busy())
    start_front(i, now);  // the next, already in the container, runs now
  return loop_fate::none;
}

bool search_policy::lose(size_t i, const std::string& why) {
  auto& s = slots_[i];
  auto trials = std::move(s.trials);
  s.trials.clear();
  s.gone = true;
  s.starting = false;
  // Those waiting behind the running one never ran: back to the front.
  for (size_t k = trials.size(); k-- > 1;) {
    auto& e = *table_.find(trials[k].trial);
    ++e.unstarted;
    table_.set_status(e, run_status::queued);
    change(e);
    retry_.push_front(e.t.id);
  }
  if (!trials.empty())
    lose_trial(*table_.find(trials.front().trial), why);
  if (ending())
    return false;
  ++replacing_;
  return true;
}

loop_fate search_policy::loop_ended(size_t i, const status& result) {
  auto& s = slots_[i];
  s.starting = false;
  if (ending() || s.gone)
    return loop_fate::none;
  if (s.busy()) {
    std::string why = result ? "its trial loop ended" : result.to_string();
    return lose(i, why) ? loop_fate::replace : loop_fate::give_up;
  }
  if (result.code() == errc::container_lost)
    return lose(i, result.to_string()) ? loop_fate::replace : loop_fate::give_up;
  s.gone = true;
  return loop_fate::give_up;
}

std::vector<container_loss> search_policy::tick(search_clock::time_point now) {
  std::vector<container_loss> lost;
  if (ending())
    return lost;
  for (size_t i = 0; i < slots_.size(); ++i) {
    auto& s = slots_[i];
    if ((!s.busy() && !s.starting) || s.gone)
      continue;
    auto limit = s.busy() ? opts_.heartbeat_timeout
                          : std::max<std::chrono::milliseconds>(opts_.heartbeat_timeout,
                                                                loop_start_grace);
    if (now - s.last_beat <= limit)
      continue;
    std::string why = "no heartbeat for " + std::to_string(limit.count()) + " ms";
    if (s.busy())
      why = "straggler: " + why;
    else
      why = "trial loop did not start (" + why + ")";
    lose(i, why);
    lost.push_back({i, why});
  }
  if (deadline_passed(now))
    for (auto& s : slots_)
      if (s.busy())
        table_.find(s.trials.front().trial)->stop_requested = true;
  return lost;
}

void search_policy::heartbeat(uint32_t id, uint32_t attempt, search_clock::time_point now) {
  for (auto& s : slots_)
    if (s.busy() && s.trials.front().trial == id && s.trials.front().attempt == attempt)
      s.last_beat = now;
}

report_verdict search_policy::report(uint32_t id, uint64_t step, const named_values& metrics,
                                     search_clock::time_point now) {
  report_verdict out;
  auto* e = table_.find(id);
  if (e == nullptr)
    return out;
  out.known = true;
  if (e->view.status != run_status::running)
    return out;
  const value* v = metrics.find(opts_.metric);
  if (v != nullptr && std::holds_alternative<double>(*v) && !std::isnan(std::get<double>(*v))) {
    out.has_value = true;
    out.value = std::get<double>(*v);
    double loss = table_.report(*e, step, out.value);
    if (stopper_ && stopper_->on_report(e->t.id, step, loss) == verdict::stop) {
      out.stop = true;
      out.why = std::string("early stopping (") + stopper_->name() + ")";
    }
  }
  if (deadline_passed(now)) {
    out.stop = true;
    out.why = "time budget spent";
  }
  e->stop_requested = e->stop_requested || out.stop;
  out.stop = e->stop_requested;
  return out;
}

bool search_policy::over(search_clock::time_point now, status& overall) {
  if (ending())
    return false;
  if (phase_ == search_phase::starting)
    return false;
  size_t usable = 0, starting = 0;
  for (auto& s : slots_) {
    if (s.busy())
      return false;
    usable += s.gone ? 0 : 1;
    starting += !s.gone && s.starting ? 1 : 0;
  }
  bool late = deadline_passed(now);
  bool work_left = !retry_.empty() || phase_ == search_phase::running;
  if (!late && work_left && starting > 0)
    return false;  // loops about to ask for trials
  if (!late && work_left && usable == 0 && replacing_ > 0)
    return false;  // waiting for a replacement container
  if (!late && !retry_.empty() && usable > 0)
    return false;
  if (!late && work_left && usable == 0 && replacing_ == 0 && table_.ended() == 0)
    overall = status::error(errc::unavailable, "no container left to run trials");
  // Trials still waiting for a retry when the search ends: failed, not lost.
  for (auto id : retry_) {
    auto& e = *table_.find(id);
    e.view.error += " (not retried: the search ended)";
    end_trial(e, outcome::failed, NAN);
  }
  retry_.clear();
  return true;
}

void search_policy::end() {
  if (phase_ < search_phase::ending)
    phase_ = search_phase::ending;
}

} // namespace lagom::tuning
