// The median stopping rule; semantics and priority order in median_rule.hpp.
#include "tuning/median_rule.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lagom::tuning {

median_rule::median_rule(uint32_t min_trials, uint64_t interval, uint64_t warmup)
  : min_trials_(min_trials), interval_(interval), warmup_(warmup) {}

double median_rule::median_at(uint64_t step) const {
  std::vector<double> averages;
  for (auto& [id, h] : ended_) {
    if (h.empty() || h.back().first < step)
      continue;  // did not get as far as `step`
    double sum = 0;
    size_t n = 0;
    for (auto& [s, loss] : h) {
      if (s > step)
        break;
      if (!std::isnan(loss)) {
        sum += loss;
        ++n;
      }
    }
    if (n > 0)
      averages.push_back(sum / static_cast<double>(n));
  }
  if (averages.empty())
    return std::numeric_limits<double>::quiet_NaN();
  size_t mid = averages.size() / 2;
  std::nth_element(averages.begin(), averages.begin() + static_cast<std::ptrdiff_t>(mid),
                   averages.end());
  double upper = averages[mid];
  if (averages.size() % 2 == 1)
    return upper;
  double lower = *std::max_element(averages.begin(), averages.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

verdict median_rule::on_report(uint32_t trial, uint64_t step, double loss) {
  auto& h = running_[trial];
  h.emplace_back(step, loss);
  if (ended_.size() < min_trials_)
    return verdict::go_on;
  if (step < warmup_ || step % interval_ != 0)
    return verdict::go_on;
  double best = std::numeric_limits<double>::infinity();
  for (auto& [s, l] : h)
    if (!std::isnan(l))
      best = std::min(best, l);
  double median = median_at(step);
  if (std::isnan(median) || std::isinf(best))
    return verdict::go_on;
  return best > median ? verdict::stop : verdict::go_on;
}

void median_rule::on_end(uint32_t trial, outcome how) {
  (void)how;
  auto it = running_.find(trial);
  ended_[trial] = it == running_.end() ? history{} : std::move(it->second);
  if (it != running_.end())
    running_.erase(it);
}

void median_rule::on_retry(uint32_t trial) {
  running_.erase(trial);
}

} // namespace lagom::tuning
