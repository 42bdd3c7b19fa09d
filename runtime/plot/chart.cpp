#include "plot/chart.hpp"

#include <algorithm>
#include <cmath>

namespace lagom::plot {

std::string fit_text(const std::string& s, int max_px, int scale) {
  if (canvas::text_width(s, scale) <= max_px)
    return s;
  for (size_t n = s.size(); n-- > 0;) {
    std::string cut = s.substr(0, n) + "..";
    if (canvas::text_width(cut, scale) <= max_px)
      return n == 0 ? std::string() : cut;
  }
  return {};
}

void text_centred(canvas& c, int cx, int y, const std::string& s, rgb color, int scale) {
  c.text(cx - canvas::text_width(s, scale) / 2, y, s, color, scale);
}

void text_left_of(canvas& c, int x, int cy, const std::string& s, rgb color) {
  int w = canvas::text_width(s);
  int h = canvas::text_height();
  int top = cy - h / 2;
  c.fill_rect(x - w - 1, top - 1, x + 1, top + h, colors::white);
  c.text(x - w + 1, top, s, color);
}

void draw_title(canvas& c, const std::string& title) {
  text_centred(c, c.width() / 2, 14, fit_text(title, c.width() - 20, 2), colors::black, 2);
}

void draw_message(canvas& c, const std::string& message) {
  text_centred(c, c.width() / 2, c.height() / 2 - canvas::text_height(2) / 2, message,
               colors::dark_gray, 2);
}

int max_label_width(const std::vector<tick>& ticks) {
  int w = 0;
  for (const tick& t : ticks)
    w = std::max(w, canvas::text_width(t.label));
  return w;
}

void draw_x_axis(canvas& c, const plot_box& box, const axis_map& map,
                 const std::vector<tick>& ticks, const std::string& title, bool grid) {
  for (const tick& t : ticks) {
    int x = static_cast<int>(std::lround(map.to_px(t.value)));
    if (x < box.left || x > box.right)
      continue;
    if (grid)
      c.fill_rect(x, box.top, x, box.bottom - 1, colors::light_gray);
    c.fill_rect(x, box.bottom, x, box.bottom + tick_length, colors::dark_gray);
    text_centred(c, x, box.bottom + tick_length + label_gap, t.label, colors::black);
  }
  c.fill_rect(box.left, box.bottom, box.right, box.bottom, colors::dark_gray);
  int title_y = box.bottom + tick_length + label_gap + canvas::text_height() + 10;
  text_centred(c, (box.left + box.right) / 2, title_y,
               fit_text(title, box.right - box.left), colors::black);
}

void draw_y_axis(canvas& c, const plot_box& box, const axis_map& map,
                 const std::vector<tick>& ticks, const std::string& title, bool grid) {
  for (const tick& t : ticks) {
    int y = static_cast<int>(std::lround(map.to_px(t.value)));
    if (y < box.top || y > box.bottom)
      continue;
    if (grid)
      c.fill_rect(box.left + 1, y, box.right, y, colors::light_gray);
    c.fill_rect(box.left - tick_length, y, box.left, y, colors::dark_gray);
    text_left_of(c, box.left - tick_length - label_gap, y, t.label, colors::black);
  }
  c.fill_rect(box.left, box.top, box.left, box.bottom, colors::dark_gray);
  std::string fitted = fit_text(title, box.bottom - box.top);
  int h = canvas::text_width(fitted);
  c.text_up(12, (box.top + box.bottom) / 2 - h / 2, fitted, colors::black);
}

rgb blues(double t) {
  // Stops of matplotlib's "Blues" at 0.25, 0.5, 0.75 and 1.
  static const rgb stops[] = {{198, 219, 239}, {107, 174, 214}, {33, 113, 181}, {8, 48, 107}};
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * 3.0;
  int i = std::min(static_cast<int>(t), 2);
  return mix(stops[i], stops[i + 1], t - i);
}

} // namespace lagom::plot
