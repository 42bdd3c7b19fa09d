#include "plot/canvas.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "plot/font.hpp"

namespace lagom::plot {

rgb mix(rgb a, rgb b, double t) {
  t = std::clamp(t, 0.0, 1.0);
  auto ch = [t](uint8_t x, uint8_t y) {
    return static_cast<uint8_t>(std::lround(x + (y - x) * t));
  };
  return rgb{ch(a.r, b.r), ch(a.g, b.g), ch(a.b, b.b)};
}

canvas::canvas(int width, int height, rgb background) : width_(width), height_(height) {
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
    throw std::invalid_argument("plot::canvas: size out of range");
  pixels_.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  for (size_t i = 0; i < pixels_.size(); i += 3) {
    pixels_[i] = background.r;
    pixels_[i + 1] = background.g;
    pixels_[i + 2] = background.b;
  }
}

rgb canvas::at(int x, int y) const {
  assert(x >= 0 && x < width_ && y >= 0 && y < height_);
  const uint8_t* p = &pixels_[(static_cast<size_t>(y) * width_ + x) * 3];
  return rgb{p[0], p[1], p[2]};
}

const uint8_t* canvas::row(int y) const {
  assert(y >= 0 && y < height_);
  return &pixels_[static_cast<size_t>(y) * width_ * 3];
}

void canvas::set(int x, int y, rgb c) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_)
    return;
  uint8_t* p = &pixels_[(static_cast<size_t>(y) * width_ + x) * 3];
  p[0] = c.r;
  p[1] = c.g;
  p[2] = c.b;
}

void canvas::blend(int x, int y, rgb c, double alpha) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_ || !(alpha > 0.0))
    return;
  if (alpha >= 1.0)
    return set(x, y, c);
  set(x, y, mix(at(x, y), c, alpha));
}

// Walks the major axis one pixel at a time; across it, a pixel at minor
// offset m from the centre line lies |m| * cos(angle) from the segment, and
// its coverage is how much of a unit-wide pixel the band of half-width
// thickness/2 overlaps (clamped to [0, 1]).
void canvas::line(double x0, double y0, double x1, double y1, rgb c, double thickness) {
  if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1))
    return;
  double dx = x1 - x0, dy = y1 - y0;
  double len = std::hypot(dx, dy);
  double half = std::max(thickness, 0.0) / 2.0;
  if (len < 1e-9)
    return fill_circle(x0, y0, std::max(half, 0.5), c);
  bool steep = std::fabs(dy) > std::fabs(dx);
  double a0 = steep ? y0 : x0, a1 = steep ? y1 : x1;
  double b0 = steep ? x0 : y0, b1 = steep ? x1 : y1;
  if (a0 > a1) {
    std::swap(a0, a1);
    std::swap(b0, b1);
  }
  double slope = (b1 - b0) / (a1 - a0);
  double cosv = (a1 - a0) / len;
  double reach = (half + 0.5) / cosv;
  int limit = steep ? height_ : width_;
  int a_first = std::max(static_cast<int>(std::lround(a0)), -1);
  int a_last = std::min(static_cast<int>(std::lround(a1)), limit);
  for (int a = a_first; a <= a_last; ++a) {
    double b = b0 + (a - a0) * slope;
    int m_first = static_cast<int>(std::floor(b - reach));
    int m_last = static_cast<int>(std::ceil(b + reach));
    for (int m = m_first; m <= m_last; ++m) {
      double d = std::fabs(m - b) * cosv;
      double cover = std::clamp(half + 0.5 - d, 0.0, 1.0);
      if (steep)
        blend(m, a, c, cover);
      else
        blend(a, m, c, cover);
    }
  }
}

void canvas::fill_rect(int x0, int y0, int x1, int y1, rgb c) {
  if (x0 > x1)
    std::swap(x0, x1);
  if (y0 > y1)
    std::swap(y0, y1);
  x0 = std::max(x0, 0);
  y0 = std::max(y0, 0);
  x1 = std::min(x1, width_ - 1);
  y1 = std::min(y1, height_ - 1);
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x)
      set(x, y, c);
}

void canvas::rect(int x0, int y0, int x1, int y1, rgb c) {
  fill_rect(x0, y0, x1, y0, c);
  fill_rect(x0, y1, x1, y1, c);
  fill_rect(x0, y0, x0, y1, c);
  fill_rect(x1, y0, x1, y1, c);
}

void canvas::fill_circle(double cx, double cy, double r, rgb c) {
  if (!std::isfinite(cx) || !std::isfinite(cy) || !(r > 0.0))
    return;
  int x_first = static_cast<int>(std::floor(cx - r - 1)), x_last = static_cast<int>(std::ceil(cx + r + 1));
  int y_first = static_cast<int>(std::floor(cy - r - 1)), y_last = static_cast<int>(std::ceil(cy + r + 1));
  x_first = std::max(x_first, -1);
  y_first = std::max(y_first, -1);
  x_last = std::min(x_last, width_);
  y_last = std::min(y_last, height_);
  for (int y = y_first; y <= y_last; ++y)
    for (int x = x_first; x <= x_last; ++x)
      blend(x, y, c, std::clamp(r + 0.5 - std::hypot(x - cx, y - cy), 0.0, 1.0));
}

void canvas::text(int x, int y, const std::string& s, rgb c, int scale) {
  scale = std::max(scale, 1);
  for (size_t i = 0; i < s.size(); ++i) {
    int gx = x + static_cast<int>(i) * glyph_advance * scale;
    for (int col = 0; col < glyph_width; ++col)
      for (int row = 0; row < glyph_height; ++row)
        if (glyph_pixel(s[i], col, row))
          fill_rect(gx + col * scale, y + row * scale,
                    gx + (col + 1) * scale - 1, y + (row + 1) * scale - 1, c);
  }
}

void canvas::text_up(int x, int y, const std::string& s, rgb c, int scale) {
  scale = std::max(scale, 1);
  int w = text_width(s, scale);
  // Unrotated offset (u along the text, v down the glyph) lands at
  // (x + v, y + w - 1 - u): the start of the text at the bottom, glyph tops left.
  for (size_t i = 0; i < s.size(); ++i) {
    int u0 = static_cast<int>(i) * glyph_advance * scale;
    for (int col = 0; col < glyph_width; ++col)
      for (int row = 0; row < glyph_height; ++row)
        if (glyph_pixel(s[i], col, row)) {
          int u = u0 + col * scale;
          int v = row * scale;
          fill_rect(x + v, y + w - u - scale, x + v + scale - 1, y + w - 1 - u, c);
        }
  }
}

int canvas::text_width(const std::string& s, int scale) {
  if (s.empty())
    return 0;
  scale = std::max(scale, 1);
  return (static_cast<int>(s.size()) * glyph_advance - 1) * scale;
}

int canvas::text_height(int scale) { return glyph_height * std::max(scale, 1); }

} // namespace lagom::plot
