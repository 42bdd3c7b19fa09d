// The rung pruner; semantics and priority order in rung_pruner.hpp.
#include "tuning/rung_pruner.hpp"

#include <algorithm>
#include <cmath>

namespace lagom::tuning {

rung_pruner::rung_pruner(double reduction_factor, uint64_t resource_min)
  : reduction_factor_(reduction_factor), resource_min_(resource_min) {}

double rung_pruner::rung_step(size_t k) const {
  return static_cast<double>(resource_min_) * std::pow(reduction_factor_, static_cast<double>(k));
}

size_t rung_pruner::recorded(size_t k) const {
  return k < rungs_.size() ? rungs_[k].size() : 0;
}

verdict rung_pruner::on_report(uint32_t trial, uint64_t step, double loss) {
  size_t& k = completed_[trial];
  for (; rung_step(k) <= static_cast<double>(step); ++k) {
    if (std::isnan(loss))
      return verdict::stop;
    if (rungs_.size() <= k)
      rungs_.resize(k + 1);
    auto& rung = rungs_[k];
    rung[trial] = loss;
    std::vector<double> competing;
    competing.reserve(rung.size());
    for (auto& [id, l] : rung)
      competing.push_back(l);
    auto top = static_cast<size_t>(std::floor(static_cast<double>(competing.size())
                                              / reduction_factor_));
    size_t idx = top == 0 ? 0 : top - 1;
    std::nth_element(competing.begin(), competing.begin() + static_cast<std::ptrdiff_t>(idx),
                     competing.end());
    if (loss > competing[idx]) {
      ++k;  // this rung is completed, and lost
      return verdict::stop;
    }
  }
  return verdict::go_on;
}

void rung_pruner::on_end(uint32_t trial, outcome how) {
  (void)how;
  completed_.erase(trial);
}

void rung_pruner::on_retry(uint32_t trial) {
  completed_.erase(trial);
  for (auto& rung : rungs_)
    rung.erase(trial);
}

} // namespace lagom::tuning
