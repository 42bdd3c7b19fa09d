// Differential evolution (DE/rand/1/bin), asynchronous, in unit space.
//
// A population of P slots. Trial i < P is slot i's initial member, a uniform
// draw. Trial i >= P targets slot s = i % P: three distinct filled slots
// a, b, c other than s, picked with the trial's rng, give the mutant
//   v = x_a + F (x_b - x_c)          (reflected back into [0, 1])
// and binomial crossover with the target x_s takes each coordinate from v
// with probability CR, and at least one (a random j) always. When slot s is
// not filled yet, its initial member's draw stands in for x_s.
//
// tell: trial i competes for slot i % P. An initial member fills its slot,
// a failed or NaN one with loss +inf; a later trial replaces the slot's
// member when its loss is lower (NaN never wins; equal losses go to the
// lower id). The member kept is to_unit(config) of the told trial.
//
// Determinism and resume: trial i draws only from trial_rng(seed, i), and a
// slot holds the best of the trials told for it whatever the order of the
// tells, so adopt (which only records pending trials) plus tell of every
// ended trial rebuilds the population the uninterrupted search had.
//
// ask answers `wait` while fewer than 4 slots are filled once the initial P
// were asked. Settings: population (integer in [4, 10000], default 10),
// mutation F ([0, 2], 0.5), crossover CR ([0, 1], 0.7).
#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "tuning/optimizer_makers.hpp"

namespace lagom::tuning {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

struct member {
  bool filled = false;
  std::vector<double> u;  ///< unit coordinates
  double loss = inf;
  uint32_t id = 0;        ///< the trial it came from
};

class differential_evolution final : public optimizer {
public:
  differential_evolution(searchspace space, const optimizer_options& o, size_t population,
                         double f, double cr)
    : space_(std::move(space)), seed_(o.seed), num_trials_(o.num_trials), f_(f), cr_(cr),
      slots_(population) {}

  const char* name() const override { return "de"; }

  ask_status ask(trial& out) override {
    if (num_trials_ != 0 && issued_.size() >= num_trials_ && !issued_.count(out.id))
      return ask_status::exhausted;
    std::vector<double> u;
    if (out.id < slots_.size()) {
      u = initial(out.id);
    } else {
      if (filled() < 4)
        return ask_status::wait;
      u = offspring(out.id);
    }
    out.config = space_.from_unit(u);
    out.clear_rungs();
    issued_.insert(out.id);
    pending_.insert(out.id);
    return ask_status::ready;
  }

  void tell(const trial_result& r) override {
    pending_.erase(r.t.id);
    if (!space_.check(r.t.config).is_ok())
      return;  // not a configuration of this space: nothing to learn
    double loss = r.how == outcome::failed ? std::nan("") : r.loss;
    bool initial_member = r.t.id < slots_.size();
    if (std::isnan(loss)) {
      if (!initial_member)
        return;
      loss = inf;
    }
    member& m = slots_[r.t.id % slots_.size()];
    if (m.filled && !(loss < m.loss || (loss == m.loss && r.t.id < m.id)))
      return;
    m = member{true, space_.to_unit(r.t.config), loss, r.t.id};
  }

  void adopt(trial& t) override {
    issued_.insert(t.id);
    pending_.insert(t.id);
  }

private:
  size_t filled() const {
    return static_cast<size_t>(
      std::count_if(slots_.begin(), slots_.end(), [](const member& m) { return m.filled; }));
  }

  std::vector<double> initial(size_t slot) const {
    rng gen = trial_rng(seed_, static_cast<uint32_t>(slot));
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::vector<double> u(space_.size());
    for (double& x : u)
      x = unit(gen);
    return u;
  }

  std::vector<double> offspring(uint32_t id) const {
    size_t target = id % slots_.size();
    std::vector<size_t> others;
    for (size_t s = 0; s < slots_.size(); ++s)
      if (s != target && slots_[s].filled)
        others.push_back(s);
    rng gen = trial_rng(seed_, id);
    size_t pick[3];
    for (size_t k = 0; k < 3; ++k) {  // three distinct, without replacement
      std::uniform_int_distribution<size_t> which(k, others.size() - 1);
      std::swap(others[k], others[which(gen)]);
      pick[k] = others[k];
    }
    const auto& a = slots_[pick[0]].u;
    const auto& b = slots_[pick[1]].u;
    const auto& c = slots_[pick[2]].u;
    std::vector<double> x = slots_[target].filled ? slots_[target].u : initial(target);
    size_t d = x.size();
    std::uniform_int_distribution<size_t> any_dim(0, d - 1);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    size_t forced = any_dim(gen);
    for (size_t j = 0; j < d; ++j) {
      double r = unit(gen);  // drawn for every j, so the draws do not depend on CR
      if (j == forced || r < cr_)
        x[j] = reflect(a[j] + f_ * (b[j] - c[j]));
    }
    return x;
  }

  static double reflect(double v) {
    if (v < 0)
      v = -v;
    if (v > 1)
      v = 2 - v;
    return std::clamp(v, 0.0, 1.0);
  }

  // Constant after construction.
  const searchspace space_;
  const uint64_t seed_;
  const uint32_t num_trials_;
  const double f_, cr_;
  // The population and the trials handed out.
  std::vector<member> slots_;
  std::unordered_set<uint32_t> issued_;   ///< asked or adopted
  std::unordered_set<uint32_t> pending_;  ///< asked or adopted, not told
};

} // namespace

const optimizer_spec& differential_evolution_spec() {
  static const optimizer_spec spec{
    "de", "differential evolution (DE/rand/1/bin) over a population", false, false,
    {{"population", true, 10, 4, 10000, "members per generation"},
     {"mutation", false, 0.5, 0, 2, "differential weight F"},
     {"crossover", false, 0.7, 0, 1, "crossover probability CR"}}};
  return spec;
}

status make_differential_evolution(const searchspace& space, const optimizer_options& o,
                                   std::unique_ptr<optimizer>& out) {
  const auto& spec = differential_evolution_spec();
  if (auto st = check_settings(o, spec); !st)
    return st;
  double population = setting(o, spec, "population");
  double f = setting(o, spec, "mutation");
  double cr = setting(o, spec, "crossover");
  out = std::make_unique<differential_evolution>(space, o, static_cast<size_t>(population), f,
                                                 cr);
  return status::ok();
}

} // namespace lagom::tuning
