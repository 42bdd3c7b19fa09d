// ASHA: the rung ladder, the optimizer over one or more ladders, and
// make_asha. The semantics and priority order are in asha.hpp.
#include "tuning/asha.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "tuning/optimizer_makers.hpp"

namespace lagom::tuning {

namespace {

// Budgets are products of doubles; a rung matches within this relative error.
constexpr double budget_tolerance = 1e-9;

bool same_budget(double a, double b) {
  return std::fabs(a - b) <= budget_tolerance * std::max(std::fabs(a), std::fabs(b));
}

} // namespace

asha_ladder::asha_ladder(double reduction_factor, double resource_min, double resource_max)
  : reduction_factor_(reduction_factor) {
  for (double b = resource_min; b <= resource_max * (1 + budget_tolerance); b *= reduction_factor)
    budgets_.push_back(b);
  rungs_.resize(budgets_.size());
}

size_t asha_ladder::rung_of(double b) const {
  for (size_t k = 0; k < budgets_.size(); ++k)
    if (same_budget(budgets_[k], b))
      return k;
  return budgets_.size();
}

bool asha_ladder::promote(trial& out) {
  for (size_t k = rungs_.size() - 1; k-- > 0;) {
    auto& r = rungs_[k];
    auto top = static_cast<size_t>(std::floor(static_cast<double>(r.finished.size())
                                              / reduction_factor_));
    if (top == 0)
      continue;
    std::vector<std::pair<double, uint32_t>> ranked;  // (loss, id): ties by id
    ranked.reserve(r.finished.size());
    for (auto& [id, res] : r.finished)
      ranked.emplace_back(res.loss, id);
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(top),
                      ranked.end());
    for (size_t i = 0; i < top; ++i) {
      const result& best = r.finished.at(ranked[i].second);
      if (r.promoted.count(best.key) != 0)
        continue;
      out.config = best.config;
      out.budget = budgets_[k + 1];
      out.parent = ranked[i].second;
      return true;
    }
  }
  return false;
}

void asha_ladder::add_pending(const searchspace& space, const trial& t, size_t k) {
  std::string key = config_key(space, t.config);
  if (k > 0)
    rungs_[k - 1].promoted.insert(key);
  rungs_[k].pending[t.id] = std::move(key);
}

std::optional<uint32_t> asha_ladder::parent_of(const searchspace& space, const trial& t,
                                               size_t k) const {
  if (k == 0 || k >= rungs_.size())
    return std::nullopt;
  const rung& below = rungs_[k - 1];
  std::string key = config_key(space, t.config);
  std::optional<uint32_t> best;
  for (auto& [id, res] : below.finished)  // by id, so ties in loss go to the lower id
    if (id < t.id && res.key == key && (!best || res.loss < below.finished.at(*best).loss))
      best = id;
  if (best)
    return best;
  for (auto& [id, pending_key] : below.pending)
    if (id < t.id && pending_key == key)
      return id;
  return std::nullopt;
}

void asha_ladder::record(const searchspace& space, const trial_result& r, size_t k) {
  double loss = r.loss;
  if (r.how == outcome::failed || std::isnan(loss))
    loss = std::numeric_limits<double>::infinity();
  rungs_[k].pending.erase(r.t.id);
  rungs_[k].finished[r.t.id] = result{loss, config_key(space, r.t.config), r.t.config};
}

asha_optimizer::asha_optimizer(const char* name, const searchspace& space, uint64_t seed,
                               uint32_t num_trials, std::vector<asha_ladder> ladders)
  : name_(name), space_(space), seed_(seed), num_trials_(num_trials),
    ladders_(std::move(ladders)) {}

ask_status asha_optimizer::ask(trial& out) {
  if (num_trials_ != 0 && asked_ >= num_trials_)
    return ask_status::exhausted;
  for (size_t s = 0; s < ladders_.size(); ++s) {
    if (ladders_[s].promote(out)) {
      out.bracket = static_cast<uint32_t>(s);
      ladders_[s].add_pending(space_, out, ladders_[s].rung_of(out.budget));
      ++asked_;
      return ask_status::ready;
    }
  }
  auto s = static_cast<size_t>(new_configs_ % ladders_.size());
  rng gen = trial_rng(seed_, out.id);
  out.config = space_.sample(gen);
  out.budget = ladders_[s].budget(0);
  out.bracket = static_cast<uint32_t>(s);
  out.parent.reset();
  ladders_[s].add_pending(space_, out, 0);
  ++new_configs_;
  ++asked_;
  return ask_status::ready;
}

void asha_optimizer::tell(const trial_result& r) {
  if (r.t.bracket >= ladders_.size())
    return;
  auto& l = ladders_[r.t.bracket];
  size_t k = l.rung_of(r.t.budget);
  if (k < l.rungs())
    l.record(space_, r, k);
}

void asha_optimizer::adopt(trial& t) {
  ++asked_;
  if (t.bracket >= ladders_.size())
    return;
  auto& l = ladders_[t.bracket];
  size_t k = l.rung_of(t.budget);
  if (k >= l.rungs())
    return;
  if (k == 0)
    ++new_configs_;
  t.parent = l.parent_of(space_, t, k);
  l.add_pending(space_, t, k);
}

namespace {

constexpr double huge = 1e12;

std::vector<optimizer_setting> ladder_settings() {
  return {{"reduction_factor", false, 2, 2, huge, "keep the best 1/rf at each rung"},
          {"resource_min", false, 1, 1e-6, huge, "budget of the lowest rung"},
          {"resource_max", false, 4, 1e-6, huge, "budget of the highest rung"}};
}

} // namespace

const optimizer_spec& asha_spec() {
  static const optimizer_spec spec{
    "asha", "asynchronous successive halving: budgets grow on the best trials", true, false,
    ladder_settings()};
  return spec;
}

const optimizer_spec& hyperband_spec() {
  static const optimizer_spec spec{
    "hyperband", "asynchronous Hyperband: ASHA brackets of different aggressiveness", true,
    true, ladder_settings()};
  return spec;
}

status read_asha_settings(const optimizer_options& o, double& rf, double& r_min, double& r_max) {
  const auto& spec = asha_spec();  // hyperband declares the same ladder settings
  if (auto st = check_settings(o, spec); !st)
    return st;
  rf = setting(o, spec, "reduction_factor");
  r_min = setting(o, spec, "resource_min");
  r_max = setting(o, spec, "resource_max");
  if (r_max < r_min)
    return status::error(errc::invalid_argument,
                         "must be at least resource_min (" + format_value(r_min) + "), got "
                           + format_value(r_max),
                         o.name + ": resource_max");
  return status::ok();
}

status make_asha(const searchspace& space, const optimizer_options& o,
                 std::unique_ptr<optimizer>& out) {
  double rf = 0, r_min = 0, r_max = 0;
  if (auto st = read_asha_settings(o, rf, r_min, r_max); !st)
    return st;
  std::vector<asha_ladder> ladders;
  ladders.emplace_back(rf, r_min, r_max);
  out = std::make_unique<asha_optimizer>("asha", space, o.seed, o.num_trials, std::move(ladders));
  return status::ok();
}

} // namespace lagom::tuning
