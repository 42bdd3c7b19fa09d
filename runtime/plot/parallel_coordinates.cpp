// The parallel coordinate plot (contract: search_plots.hpp).
//
//   title
//   metric   lr       layers   act          colour bar
//     |------|--------|--------|               ##  0.9
//     |      |        |        |               ##
//     |------|--------|--------|               ##  0.5
//
// Axis 0 is the metric; each trial is a polyline through its value on every
// axis, coloured with blues() by how good its value is. Tick labels sit left
// of each axis on a white patch so they stay readable over the lines.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "plot/search_plots.hpp"

namespace lagom::plot {
namespace {

constexpr int min_axis_spacing = 60;  // pixels; fewer axes are drawn below it

struct row {
  double value;
  const std::vector<double>* coords;
};

bool axis_accepts(const plot_axis& a, double v) {
  if (!std::isfinite(v))
    return false;
  if (!a.categories.empty())
    return v >= 0 && v < static_cast<double>(a.categories.size()) && v == std::floor(v);
  return !a.log || v > 0;
}

std::vector<row> usable_rows(const std::vector<plot_axis>& axes, size_t shown,
                             const std::vector<plot_trial>& trials) {
  std::vector<row> out;
  for (const plot_trial& t : trials) {
    if (t.status != run_status::finished || !t.has_value || !std::isfinite(t.value) ||
        t.coords.size() != axes.size())
      continue;
    bool ok = true;
    for (size_t i = 0; i < shown && ok; ++i)
      ok = axis_accepts(axes[i], t.coords[i]);
    if (ok)
      out.push_back({t.value, &t.coords});
  }
  return out;
}

// The map and ticks of hyperparameter axis `a`, from the values in `rows`.
std::vector<tick> param_axis(const plot_axis& a, size_t i, const std::vector<row>& rows,
                             int height_px, axis_map& map) {
  std::vector<tick> ticks;
  if (!a.categories.empty()) {
    int k = static_cast<int>(a.categories.size());
    map.lo = -0.5;
    map.hi = k - 0.5;
    int every = std::max(1, (k * 14 + height_px - 1) / std::max(height_px, 1));
    for (int j = 0; j < k; j += every)
      ticks.push_back({double(j), a.categories[j]});
    return ticks;
  }
  double lo = (*rows[0].coords)[i], hi = lo;
  for (const row& r : rows) {
    lo = std::min(lo, (*r.coords)[i]);
    hi = std::max(hi, (*r.coords)[i]);
  }
  range rg = padded_range(lo, hi, a.log);
  map.lo = rg.lo;
  map.hi = rg.hi;
  map.log = a.log;
  return a.log ? log_ticks(rg.lo, rg.hi) : linear_ticks(rg.lo, rg.hi);
}

// Text centred on cx but kept inside the canvas.
void text_centred_inside(canvas& c, int cx, int y, const std::string& s) {
  int w = canvas::text_width(s);
  int x = std::clamp(cx - w / 2, 4, std::max(4, c.width() - 4 - w));
  c.text(x, y, s, colors::black);
}

} // namespace

canvas draw_parallel_coordinates(const std::vector<plot_axis>& axes,
                                 const std::vector<plot_trial>& trials, const std::string& metric,
                                 bool maximize, parallel_layout* layout, plot_size size) {
  canvas c(size.width, size.height);
  draw_title(c, "Parallel Coordinate Plot");
  int right = c.width() - 180;
  size_t fit = static_cast<size_t>(std::max(1, (right - 60) / min_axis_spacing));
  size_t shown = std::min(axes.size(), fit);
  std::vector<row> rows = usable_rows(axes, shown, trials);
  if (rows.empty()) {
    draw_message(c, "no finished trials");
    return c;
  }

  double v_min = rows[0].value, v_max = v_min;
  for (const row& r : rows) {
    v_min = std::min(v_min, r.value);
    v_max = std::max(v_max, r.value);
  }
  double best = maximize ? v_max : v_min, worst = maximize ? v_min : v_max;
  auto shade = [&](double v) { return best == worst ? 1.0 : (v - worst) / (best - worst); };

  plot_box box;
  box.top = 74;
  box.bottom = c.height() - 40;
  box.right = right;
  range mr = padded_range(v_min, v_max, false);
  std::vector<std::vector<tick>> ticks(shown + 1);
  std::vector<axis_map> maps(shown + 1);
  ticks[0] = linear_ticks(mr.lo, mr.hi);
  maps[0] = axis_map{mr.lo, mr.hi, false, 0, 0};
  for (size_t i = 0; i < shown; ++i)
    ticks[i + 1] = param_axis(axes[i], i, rows, box.bottom - box.top, maps[i + 1]);
  box.left = 16 + max_label_width(ticks[0]) + label_gap + tick_length;

  std::vector<int> xs(shown + 1);
  for (size_t i = 0; i <= shown; ++i) {
    xs[i] = shown == 0 ? (box.left + box.right) / 2
                       : box.left + static_cast<int>(std::lround(
                                        double(i) * (box.right - box.left) / double(shown)));
    maps[i].px_lo = box.bottom;
    maps[i].px_hi = box.top;
  }
  int spacing = shown == 0 ? box.right - box.left : xs[1] - xs[0];
  int bar_left = box.right + 90, bar_right = bar_left + 14;
  if (layout != nullptr)
    *layout = parallel_layout{xs, maps, box, bar_left, bar_right, best, worst};

  // Worst first, so the best lines end up on top.
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return shade(rows[a].value) < shade(rows[b].value);
  });
  for (size_t k : order) {
    const row& r = rows[k];
    rgb color = blues(shade(r.value));
    double prev_y = maps[0].to_px(r.value);
    for (size_t i = 0; i < shown; ++i) {
      double y = maps[i + 1].to_px((*r.coords)[i]);
      c.line(xs[i], prev_y, xs[i + 1], y, color, 1.5);
      prev_y = y;
    }
    if (shown == 0)
      c.fill_circle(xs[0], prev_y, 3.0, color);
  }

  for (size_t i = 0; i <= shown; ++i) {
    c.fill_rect(xs[i], box.top, xs[i], box.bottom, colors::dark_gray);
    int max_label = i == 0 ? box.left : spacing - 2 * tick_length - label_gap - 4;
    for (const tick& t : ticks[i]) {
      int y = static_cast<int>(std::lround(maps[i].to_px(t.value)));
      if (y < box.top || y > box.bottom)
        continue;
      c.fill_rect(xs[i] - tick_length, y, xs[i], y, colors::dark_gray);
      text_left_of(c, xs[i] - tick_length - label_gap, y, fit_text(t.label, max_label),
                   colors::black);
    }
    const std::string& name = i == 0 ? metric : axes[i - 1].name;
    text_centred_inside(c, xs[i], box.top - 22, fit_text(name, std::min(spacing - 8, 150)));
  }

  // The colour bar: value v_min at the bottom to v_max at the top.
  axis_map bar{v_min, v_max, false, double(box.bottom), double(box.top)};
  for (int y = box.top; y <= box.bottom; ++y) {
    double t = box.bottom == box.top ? 1.0 : double(box.bottom - y) / (box.bottom - box.top);
    c.fill_rect(bar_left, y, bar_right, y, blues(shade(v_min + t * (v_max - v_min))));
  }
  c.rect(bar_left, box.top, bar_right, box.bottom, colors::dark_gray);
  std::vector<tick> bar_ticks = v_min == v_max
                                    ? std::vector<tick>{{v_min, format_tick(v_min, 1e-3)}}
                                    : linear_ticks(v_min, v_max);
  for (const tick& t : bar_ticks) {
    int y = v_min == v_max ? (box.top + box.bottom) / 2
                           : static_cast<int>(std::lround(bar.to_px(t.value)));
    c.fill_rect(bar_right, y, bar_right + tick_length, y, colors::dark_gray);
    c.text(bar_right + tick_length + label_gap, y - canvas::text_height() / 2,
           fit_text(t.label, c.width() - bar_right - 14), colors::black);
  }
  text_centred_inside(c, (bar_left + bar_right) / 2, box.top - 22,
                      fit_text(metric, 2 * (c.width() - bar_right) - 8));
  return c;
}

} // namespace lagom::plot
