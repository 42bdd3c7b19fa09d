// plot::canvas: an RGB raster that plots are drawn on, then written as a PNG.
//
// Coordinates: x grows right, y grows down, pixel (x, y) is the unit square
// whose centre is the point (x, y). A 1-pixel line between integer points is
// therefore crisp; fractional positions blend into neighbours (anti-aliasing).
// Everything drawn is clipped to the raster, so callers may draw partly or
// wholly outside it.
//
// A canvas is a value: copyable, movable, no resources beyond its pixels.
// Not thread-safe for concurrent drawing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lagom::plot {

struct rgb {
  uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(rgb a, rgb b) { return a.r == b.r && a.g == b.g && a.b == b.b; }
  friend bool operator!=(rgb a, rgb b) { return !(a == b); }
};

namespace colors {
constexpr rgb white{255, 255, 255};
constexpr rgb black{0, 0, 0};
constexpr rgb dark_gray{64, 64, 64};
constexpr rgb gray{128, 128, 128};
constexpr rgb light_gray{225, 225, 225};
constexpr rgb blue{31, 119, 180};    ///< matplotlib's tab:blue
constexpr rgb orange{255, 127, 14};  ///< tab:orange
constexpr rgb red{214, 39, 40};      ///< tab:red
}  // namespace colors

/// `a` blended towards `b` by t in [0, 1] (0 gives a, 1 gives b).
rgb mix(rgb a, rgb b, double t);

class canvas {
public:
  /// A width x height raster filled with `background`. REQUIRE: both > 0 and
  /// at most 16384 (a plot, not a poster: bounds the memory to 768 MiB).
  canvas(int width, int height, rgb background = colors::white);

  int width() const { return width_; }
  int height() const { return height_; }

  /// The pixel at (x, y). REQUIRE: inside the raster.
  rgb at(int x, int y) const;
  /// Row y as width() * 3 bytes R, G, B. REQUIRE: 0 <= y < height().
  const uint8_t* row(int y) const;

  /// Sets one pixel; ignored outside the raster.
  void set(int x, int y, rgb c);
  /// Blends `c` over the pixel with coverage alpha in [0, 1]; ignored outside.
  void blend(int x, int y, rgb c, double alpha);

  /// An anti-aliased segment `thickness` pixels wide, flat ends at the
  /// endpoints (no caps). A zero-length segment draws a dot.
  void line(double x0, double y0, double x1, double y1, rgb c, double thickness = 1.0);
  /// Pixels x0..x1, y0..y1 inclusive (either order) set to c.
  void fill_rect(int x0, int y0, int x1, int y1, rgb c);
  /// The 1-pixel outline of the rectangle x0..x1, y0..y1 inclusive.
  void rect(int x0, int y0, int x1, int y1, rgb c);
  /// A disc of radius r centred at (cx, cy), edge anti-aliased. The pixel
  /// holding the centre gets exactly c when r >= 0.5.
  void fill_circle(double cx, double cy, double r, rgb c);

  /// Text in the built-in font (font.hpp), each font pixel drawn as a
  /// scale x scale block; (x, y) is the top-left of the first glyph.
  void text(int x, int y, const std::string& s, rgb c, int scale = 1);
  /// Text rotated 90 degrees counter-clockwise, read bottom to top (a y-axis
  /// label). Its bounding box is text_height(scale) wide and
  /// text_width(s, scale) tall, with top-left (x, y).
  void text_up(int x, int y, const std::string& s, rgb c, int scale = 1);

  /// Width in pixels of `s` drawn by text(): no trailing spacing column.
  static int text_width(const std::string& s, int scale = 1);
  /// Height in pixels of a line of text (without spacing).
  static int text_height(int scale = 1);

private:
  int width_;
  int height_;
  std::vector<uint8_t> pixels_;  // row-major, 3 bytes per pixel
};

} // namespace lagom::plot
