// Grid search: every point of a grid over the space, once, in a fixed order.
//
// The axis of each dimension:
//   double       grid_points values evenly spaced in unit space (so in log
//                space when `log`), both bounds included, rounded to 12
//                significant digits; the centre when 1
//   integer      every value when there are at most grid_points of them, else
//                grid_points integers evenly spaced (in log space when `log`),
//                both bounds included, duplicates dropped
//   discrete,    every value, in the given order
//   categorical
// Points are numbered row-major, the first dimension varying slowest; ask
// hands out the lowest point not yet issued. A grid over more than
// max_points points is refused when the optimizer is made.
//
// Resume: adopt(t) marks the point of t.config as issued, so the points still
// to try are exactly those never asked. Exhausted when every point was
// issued, or once num_trials distinct trials were asked or adopted. A grid
// never waits. Settings: grid_points (integer in [1, 1000], default 5).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_set>

#include "tuning/optimizer_makers.hpp"

namespace lagom::tuning {

namespace {

constexpr double max_points = 1e6;

// x to 12 significant digits, so that a grid reads 0.001 rather than
// 0.0010000000000000002, kept within the dimension's bounds.
double tidy(double x, const dimension& d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.12g", x);
  return std::clamp(std::strtod(buf, nullptr), d.low, d.high);
}

std::vector<value> axis(const searchspace& space, size_t i, size_t grid_points) {
  const dimension& d = space.dims()[i];
  if (d.kind == dim_kind::categorical)
    return std::vector<value>(d.choices.begin(), d.choices.end());
  std::vector<double> xs;
  auto add_unique = [&](double x) {
    if (std::find(xs.begin(), xs.end(), x) == xs.end())
      xs.push_back(x);
  };
  size_t n = d.cardinality();
  if (d.kind == dim_kind::discrete) {
    xs = d.values;
  } else if (d.kind == dim_kind::integer && n <= grid_points) {
    for (size_t k = 0; k < n; ++k)
      xs.push_back(d.low + static_cast<double>(k));
  } else if (grid_points == 1) {
    xs.push_back(std::get<double>(space.decode(i, 0.5)));
  } else {
    for (size_t k = 0; k < grid_points; ++k) {
      double u = static_cast<double>(k) / static_cast<double>(grid_points - 1);
      if (d.kind == dim_kind::real) {
        add_unique(std::get<double>(space.decode(i, u)));
      } else if (d.log) {  // integer: evenly spaced between the bounds themselves
        double x = std::exp(std::log(d.low) + u * (std::log(d.high) - std::log(d.low)));
        add_unique(k + 1 == grid_points ? d.high : std::round(x));
      } else {
        add_unique(d.low + std::round(u * (d.high - d.low)));
      }
    }
  }
  std::vector<value> out;
  for (double x : xs)
    out.emplace_back(d.kind == dim_kind::real ? tidy(x, d) : x);
  return out;
}

// Whether a recorded value is this grid value (numbers read back from a
// table may have lost their last bits).
bool same(const value& a, const value& b) {
  auto x = std::get_if<double>(&a), y = std::get_if<double>(&b);
  if (x == nullptr || y == nullptr)
    return a == b;
  return std::fabs(*x - *y) <= 1e-9 * std::max({1.0, std::fabs(*x), std::fabs(*y)});
}

class grid_search final : public optimizer {
public:
  grid_search(searchspace space, const optimizer_options& o, std::vector<std::vector<value>> axes,
              size_t total)
    : space_(std::move(space)), num_trials_(o.num_trials), axes_(std::move(axes)),
      point_issued_(total, false) {}

  const char* name() const override { return "grid"; }
  bool learns() const override { return false; }

  ask_status ask(trial& out) override {
    if (num_trials_ != 0 && trials_.size() >= num_trials_ && !trials_.count(out.id))
      return ask_status::exhausted;
    while (next_ < point_issued_.size() && point_issued_[next_])
      ++next_;
    if (next_ == point_issued_.size())
      return ask_status::exhausted;
    point_issued_[next_] = true;
    out.config = point(next_);
    out.clear_rungs();
    trials_.insert(out.id);
    return ask_status::ready;
  }

  void tell(const trial_result&) override {}

  void adopt(trial& t) override {
    trials_.insert(t.id);
    size_t index = 0;  // row-major, as point() reads it
    for (size_t i = 0; i < axes_.size(); ++i) {
      const value* v = t.config.find(space_.dims()[i].name);
      size_t k = 0;
      while (v != nullptr && k < axes_[i].size() && !same(*v, axes_[i][k]))
        ++k;
      if (v == nullptr || k == axes_[i].size())
        return;  // not a point of this grid: counts as a trial only
      index = index * axes_[i].size() + k;
    }
    point_issued_[index] = true;
  }

private:
  named_values point(size_t index) const {
    std::vector<size_t> k(axes_.size());
    for (size_t i = axes_.size(); i-- > 0;) {
      k[i] = index % axes_[i].size();
      index /= axes_[i].size();
    }
    named_values out;
    for (size_t i = 0; i < axes_.size(); ++i)
      out.set(space_.dims()[i].name, axes_[i][k[i]]);
    return out;
  }

  // Constant after construction.
  const searchspace space_;
  const uint32_t num_trials_;
  const std::vector<std::vector<value>> axes_;  ///< per dimension, in order
  // What was handed out.
  std::vector<bool> point_issued_;  ///< by row-major point index
  size_t next_ = 0;                 ///< no point below this is still free
  std::unordered_set<uint32_t> trials_;  ///< ids asked or adopted
};

} // namespace

const optimizer_spec& grid_search_spec() {
  static const optimizer_spec spec{
    "grid", "every point of a grid over the space, in order", false, false,
    {{"grid_points", true, 5, 1, 1000, "points per real dimension"}}};
  return spec;
}

status make_grid_search(const searchspace& space, const optimizer_options& o,
                        std::unique_ptr<optimizer>& out) {
  if (auto st = check_settings(o, grid_search_spec()); !st)
    return st;
  double g = setting(o, grid_search_spec(), "grid_points");
  std::vector<std::vector<value>> axes;
  double total = 1;
  std::string shape;
  for (size_t i = 0; i < space.size(); ++i) {
    axes.push_back(axis(space, i, static_cast<size_t>(g)));
    total *= static_cast<double>(axes.back().size());
    shape += (shape.empty() ? "" : " x ") + space.dims()[i].name + " "
             + std::to_string(axes.back().size());
  }
  if (total > max_points)
    return status::error(errc::invalid_argument,
                         "a grid of " + shape + " = " + format_value(total)
                           + " points is too large to enumerate (at most "
                           + format_value(max_points) + "); lower grid_points or narrow the space",
                         "space");
  out = std::make_unique<grid_search>(space, o, std::move(axes), static_cast<size_t>(total));
  return status::ok();
}

} // namespace lagom::tuning
