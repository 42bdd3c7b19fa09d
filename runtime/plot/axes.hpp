// plot axes: where ticks go and how their labels read, and the map from data
// values to pixels.
//
// Linear ticks are multiples of a 1-2-5 step (1, 2 or 5 times a power of ten)
// computed as k * step, so 0.6 reads 0.6 and not 0.6000000000000001. Log ticks
// are decades (1e-4, 1e-3, ...), every n-th decade when there are many, or
// 1-2-5 multiples inside a range narrower than a decade or two.
#pragma once

#include <string>
#include <vector>

namespace lagom::plot {

struct tick {
  double value;
  std::string label;
};

/// The 1-2-5 step giving at most about `max_ticks` ticks over [lo, hi].
/// REQUIRE: hi > lo, max_ticks >= 2.
double nice_step(double lo, double hi, int max_ticks);

/// Ticks k * step inside [lo, hi] (ends included, with a 1e-9 relative
/// tolerance), step from nice_step. Empty when the range is not finite or
/// hi <= lo.
std::vector<tick> linear_ticks(double lo, double hi, int max_ticks = 6);

/// Ticks for a log10 axis over [lo, hi]; empty when lo <= 0,
/// the range is not finite or hi <= lo.
std::vector<tick> log_ticks(double lo, double hi, int max_ticks = 6);

/// A tick label for `v` on an axis with step `step`: fixed notation with as
/// many decimals as the step needs ("0.25", "0.0", "10", "-3"), or
/// scientific notation ("1.5e-5") when |v| >= 1e6 or step < 1e-3.
std::string format_tick(double v, double step);

/// A label for `v` on a log axis: plain when 1e-3 <= v < 1e5 ("0.01", "200"),
/// else scientific ("1e-4", "2e6").
std::string format_log_tick(double v);

/// A data range padded for plotting: [lo, hi] widened by `pad` of its span on
/// each side (in log10 space when log), and widened around the value when
/// lo == hi. A log range must be positive; a non-finite input gives [0, 1].
struct range {
  double lo, hi;
};
range padded_range(double lo, double hi, bool log, double pad = 0.05);

/// Maps data values on [lo, hi] (log10 when log) to pixels px_lo..px_hi; px_lo
/// may exceed px_hi (a y axis, growing up).
struct axis_map {
  double lo = 0, hi = 1;
  bool log = false;
  double px_lo = 0, px_hi = 1;

  double to_px(double v) const;
  /// Whether v can be drawn on this axis (finite, and positive when log).
  bool accepts(double v) const;
};

} // namespace lagom::plot
