// make_early_stopper: the rule by name, with its settings checked.
#include "tuning/early_stopping.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "core/suggest.hpp"
#include "tuning/median_rule.hpp"
#include "tuning/rung_pruner.hpp"

namespace lagom::tuning {

namespace {

status bad_setting(const std::string& rule, const std::string& setting, const std::string& msg) {
  return status::error(errc::invalid_argument, msg, rule + ": " + setting);
}

} // namespace

status make_early_stopper(const early_stopping_options& o, std::unique_ptr<early_stopper>& out) {
  const std::vector<std::string> names = {"none", "median", "asha"};
  if (o.name == "none") {
    out.reset();
    return status::ok();
  }
  if (o.name == "median") {
    if (o.interval == 0)
      return bad_setting(o.name, "interval", "must be at least 1, got 0");
    out = std::make_unique<median_rule>(o.min_trials, o.interval, o.warmup);
    return status::ok();
  }
  if (o.name == "asha") {
    if (!(o.reduction_factor >= 2) || !std::isfinite(o.reduction_factor))
      return bad_setting(o.name, "reduction_factor",
                         "must be at least 2, got " + format_value(o.reduction_factor));
    if (o.resource_min == 0)
      return bad_setting(o.name, "resource_min", "must be at least 1, got 0");
    out = std::make_unique<rung_pruner>(o.reduction_factor, o.resource_min);
    return status::ok();
  }
  auto close = suggest(o.name, names);
  return status::error(errc::invalid_argument,
                       "unknown early stopping rule '" + o.name + "'"
                         + (close.empty() ? "" : "; did you mean '" + close + "'?")
                         + " (known: none, median, asha)",
                       "early_stopping");
}

} // namespace lagom::tuning
