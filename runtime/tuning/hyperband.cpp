// Asynchronous Hyperband (Li et al., "A System for Massively Parallel
// Hyperparameter Tuning", section 3.3): several ASHA brackets that differ in
// how early they stop configurations.
//
//   s_max = the largest s with r_min * rf^s <= r_max
//   bracket s = 0..s_max: an ASHA ladder with minimum resource r_min * rf^s
//   and the same r_max, so bracket 0 is the most aggressive (ASHA itself)
//   and bracket s_max runs every configuration at its one, largest budget.
//
// New configurations go to the brackets in round robin (the n-th new
// configuration to bracket n mod (s_max + 1), recorded in trial.bracket);
// promotions stay in their bracket. The rung logic, the priority order of
// ask and the resume rules are asha's (asha.hpp): this file only lays out
// the brackets.
#include <utility>
#include <vector>

#include "tuning/asha.hpp"
#include "tuning/optimizer_makers.hpp"

namespace lagom::tuning {

status make_hyperband(const searchspace& space, const optimizer_options& o,
                      std::unique_ptr<optimizer>& out) {
  double rf = 0, r_min = 0, r_max = 0;
  if (auto st = read_asha_settings(o, rf, r_min, r_max); !st)
    return st;
  // The number of brackets is the number of rungs of the full ladder.
  size_t brackets = asha_ladder(rf, r_min, r_max).rungs();
  std::vector<asha_ladder> ladders;
  double bracket_min = r_min;
  for (size_t s = 0; s < brackets; ++s, bracket_min *= rf)
    ladders.emplace_back(rf, bracket_min, r_max);
  out = std::make_unique<asha_optimizer>("hyperband", space, o.seed, o.num_trials,
                                         std::move(ladders));
  return status::ok();
}

} // namespace lagom::tuning
