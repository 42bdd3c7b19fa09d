// plot/feature_plots: heatmap and histogram (see the header).
#include "plot/feature_plots.hpp"

#include <algorithm>
#include <cmath>

#include "plot/axes.hpp"
#include "plot/chart.hpp"
#include "plot/font.hpp"

namespace lagom::plot {

rgb diverging(double v) {
  if (std::isnan(v))
    return colors::gray;
  v = std::clamp(v, -1.0, 1.0);
  constexpr rgb red{178, 24, 43}, blue{33, 102, 172};
  return v >= 0 ? mix(colors::white, red, v) : mix(colors::white, blue, -v);
}

canvas draw_heatmap(const std::vector<double>& m, const std::vector<std::string>& names,
                    const std::string& title) {
  const size_t k = names.size();
  if (k == 0 || m.size() != k * k) {
    canvas c(480, 200);
    draw_title(c, title);
    draw_message(c, k == 0 ? "no numeric features to correlate" : "matrix and names differ");
    return c;
  }
  // Cells of 1 to 24 pixels; names while a cell holds a line of the font.
  const int cell = static_cast<int>(std::clamp<size_t>(720 / k, 1, 24));
  const bool labels = cell >= 10;
  int label_px = 0;
  for (const auto& n : names)
    label_px = std::max(label_px, static_cast<int>(n.size()) * 6);
  label_px = labels ? std::min(label_px, 160) + 8 : 0;
  const int side = cell * static_cast<int>(k);
  const int left = 20 + label_px, top = 40;
  const int legend = 60;
  canvas c(std::max(left + side + legend + 20, 560), top + side + label_px + 30);
  draw_title(c, title);
  for (size_t i = 0; i < k; ++i)
    for (size_t j = 0; j < k; ++j) {
      int x = left + static_cast<int>(j) * cell, y = top + static_cast<int>(i) * cell;
      c.fill_rect(x, y, x + cell - 1, y + cell - 1, diverging(m[i * k + j]));
    }
  c.rect(left - 1, top - 1, left + side, top + side, colors::dark_gray);
  if (labels)
    for (size_t i = 0; i < k; ++i) {
      std::string n = fit_text(names[i], label_px - 8);
      int mid = top + static_cast<int>(i) * cell + cell / 2;
      text_left_of(c, left - 4, mid, n, colors::black);
      // Column names: written downwards, one glyph per line.
      int x = left + static_cast<int>(i) * cell + (cell - 5) / 2;
      for (size_t g = 0; g < n.size() && static_cast<int>(g) * 8 < label_px - 8; ++g)
        c.text(x, top + side + 4 + static_cast<int>(g) * 8, std::string(1, n[g]), colors::black);
    }
  // Legend: -1 (bottom) to +1 (top).
  int lx = left + side + 20;
  for (int y = 0; y < side; ++y)
    c.fill_rect(lx, top + y, lx + 12, top + y, diverging(1.0 - 2.0 * y / std::max(1, side - 1)));
  c.rect(lx - 1, top - 1, lx + 13, top + side, colors::dark_gray);
  c.text(lx + 16, top, "+1", colors::black);
  c.text(lx + 16, top + side / 2 - 3, "0", colors::black);
  c.text(lx + 16, top + side - 7, "-1", colors::black);
  return c;
}

canvas draw_histogram(const std::vector<uint64_t>& counts, double lo, double hi,
                      const std::string& title) {
  canvas c(480, 320);
  draw_title(c, title);
  uint64_t most = 0, total = 0;
  for (uint64_t n : counts) {
    most = std::max(most, n);
    total += n;
  }
  if (counts.empty() || total == 0) {
    draw_message(c, "no values");
    return c;
  }
  auto yticks = linear_ticks(0, static_cast<double>(most), 5);
  plot_box box{20 + max_label_width(yticks) + label_gap + tick_length, 40, c.width() - 20,
               c.height() - 40};
  double top_count = std::max(static_cast<double>(most), yticks.empty() ? 1.0 : yticks.back().value);
  axis_map ym{0, top_count, false, static_cast<double>(box.bottom), static_cast<double>(box.top)};
  double x_lo = lo, x_hi = hi > lo ? hi : lo + 1;
  axis_map xm{x_lo, x_hi, false, static_cast<double>(box.left), static_cast<double>(box.right)};
  const double w = static_cast<double>(box.right - box.left) / static_cast<double>(counts.size());
  for (size_t b = 0; b < counts.size(); ++b) {
    int x0 = box.left + static_cast<int>(std::lround(w * static_cast<double>(b)));
    int x1 = box.left + static_cast<int>(std::lround(w * static_cast<double>(b + 1))) - 2;
    int y0 = static_cast<int>(std::lround(ym.to_px(static_cast<double>(counts[b]))));
    if (counts[b] > 0)
      c.fill_rect(x0, std::min(y0, box.bottom - 1), std::max(x0, x1), box.bottom, colors::blue);
  }
  draw_y_axis(c, box, ym, yticks, "count", true);
  draw_x_axis(c, box, xm, linear_ticks(x_lo, x_hi, 5), "", false);
  return c;
}

} // namespace lagom::plot
