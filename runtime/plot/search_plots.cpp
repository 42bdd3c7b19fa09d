// The optimization history plot, and the two entry points that write PNGs.
// The parallel coordinate plot is in parallel_coordinates.cpp.
#include "plot/search_plots.hpp"

#include <algorithm>
#include <cmath>

#include "plot/png_writer.hpp"

namespace lagom::plot {
namespace {

struct point {
  uint32_t id;
  double value;
  bool finished;
};

std::vector<point> history_points(const std::vector<plot_trial>& trials) {
  std::vector<point> out;
  for (const plot_trial& t : trials) {
    bool finished = t.status == run_status::finished;
    if (is_final(t.status) && t.has_value && std::isfinite(t.value))
      out.push_back({t.id, t.value, finished});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const point& a, const point& b) { return a.id < b.id; });
  return out;
}

// Ticks at whole trial ids only.
std::vector<tick> id_ticks(double lo, double hi) {
  std::vector<tick> out;
  for (tick& t : linear_ticks(lo, hi, 8))
    if (t.value == std::floor(t.value))
      out.push_back({t.value, format_tick(t.value, 1.0)});
  return out;
}

void legend_entry(canvas& c, int x, int y, const std::string& label, rgb color, bool line) {
  if (line)
    c.line(x, y, x + 16, y, color, 2.0);
  else
    c.fill_circle(x + 8, y, 3.5, color);
  c.text(x + 24, y - canvas::text_height() / 2, label, colors::black);
}

} // namespace

canvas draw_optimization_history(const std::vector<plot_trial>& trials, const std::string& metric,
                                 bool maximize, history_layout* layout, plot_size size) {
  canvas c(size.width, size.height);
  draw_title(c, "Optimization History Plot");
  std::vector<point> points = history_points(trials);
  if (points.empty()) {
    draw_message(c, "no finished trials");
    return c;
  }

  double v_lo = points[0].value, v_hi = v_lo;
  for (const point& p : points) {
    v_lo = std::min(v_lo, p.value);
    v_hi = std::max(v_hi, p.value);
  }
  double id_lo = points.front().id, id_hi = points.back().id;
  range xr = id_lo == id_hi ? range{id_lo - 1, id_hi + 1} : padded_range(id_lo, id_hi, false);
  range yr = padded_range(v_lo, v_hi, false, 0.08);
  std::vector<tick> y_ticks = linear_ticks(yr.lo, yr.hi, 7);

  // Left margin: rotated y title, gap, the widest tick label, tick mark.
  plot_box box;
  box.left = 12 + canvas::text_height() + 10 + max_label_width(y_ticks) + label_gap + tick_length;
  box.top = 50;
  box.right = c.width() - 170;
  box.bottom = c.height() - 56;
  axis_map xm{xr.lo, xr.hi, false, double(box.left), double(box.right)};
  axis_map ym{yr.lo, yr.hi, false, double(box.bottom), double(box.top)};
  if (layout != nullptr)
    *layout = history_layout{xm, ym, box};

  draw_x_axis(c, box, xm, id_ticks(xr.lo, xr.hi), "trial", true);
  draw_y_axis(c, box, ym, y_ticks, metric + (maximize ? " (maximize)" : " (minimize)"), true);

  // Best so far over finished trials: a step line, level until a finished
  // trial improves on it, then a riser to the new best, ending at the last
  // trial. Each level is one segment (overlapping segments would darken the
  // anti-aliased edges where they meet).
  auto px = [](double v) { return std::round(v); };
  bool have_best = false;
  double best = 0, level_x = 0;
  for (const point& p : points) {
    if (!p.finished)
      continue;
    double x = px(xm.to_px(p.id));
    if (!have_best) {
      best = p.value;
      level_x = x;
      have_best = true;
      continue;
    }
    double next = maximize ? std::max(best, p.value) : std::min(best, p.value);
    if (next == best)
      continue;
    c.line(level_x, px(ym.to_px(best)), x, px(ym.to_px(best)), colors::red, 2.0);
    c.line(x, px(ym.to_px(best)), x, px(ym.to_px(next)), colors::red, 2.0);
    best = next;
    level_x = x;
  }
  if (have_best)
    c.line(level_x, px(ym.to_px(best)), px(xm.to_px(id_hi)), px(ym.to_px(best)), colors::red, 2.0);

  bool any_stopped = false;
  for (const point& p : points) {
    any_stopped |= !p.finished;
    c.fill_circle(px(xm.to_px(p.id)), px(ym.to_px(p.value)), 3.5,
                  p.finished ? colors::blue : colors::orange);
  }

  int lx = box.right + 16, ly = box.top + 8;
  legend_entry(c, lx, ly, "objective value", colors::blue, false);
  if (any_stopped)
    legend_entry(c, lx, ly += 18, "stopped early", colors::orange, false);
  if (have_best)
    legend_entry(c, lx, ly += 18, "best value", colors::red, true);
  return c;
}

status plot_optimization_history(const std::vector<plot_trial>& trials, const std::string& metric,
                                 bool maximize, const std::string& path) {
  return write_png(draw_optimization_history(trials, metric, maximize), path);
}

status plot_parallel_coordinates(const std::vector<plot_axis>& axes,
                                 const std::vector<plot_trial>& trials, const std::string& metric,
                                 bool maximize, const std::string& path) {
  return write_png(draw_parallel_coordinates(axes, trials, metric, maximize), path);
}

} // namespace lagom::plot
