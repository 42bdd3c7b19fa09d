// plot chart pieces: the title, axes with ticks, truncated labels and the
// colour scale that both search plots (search_plots.hpp) draw with.
//
// Layout convention: a plot_box is the data area in pixels, edges inclusive;
// axes, tick labels and axis titles are drawn outside it.
#pragma once

#include <string>
#include <vector>

#include "plot/axes.hpp"
#include "plot/canvas.hpp"

namespace lagom::plot {

struct plot_box {
  int left = 0, top = 0, right = 0, bottom = 0;
};

constexpr int tick_length = 5;  ///< pixels a tick mark sticks out of an axis
constexpr int label_gap = 4;    ///< pixels between a tick mark and its label

/// `s` cut to at most max_px pixels wide in the font at `scale`, ending in
/// ".." when cut; empty when not even ".." fits.
std::string fit_text(const std::string& s, int max_px, int scale = 1);

/// Text centred horizontally on cx, top at y.
void text_centred(canvas& c, int cx, int y, const std::string& s, rgb color, int scale = 1);
/// Text right-aligned to end at x (inclusive), vertically centred on cy, on
/// a white background so it stays readable over lines.
void text_left_of(canvas& c, int x, int cy, const std::string& s, rgb color);

/// The plot title, scale 2, centred near the top.
void draw_title(canvas& c, const std::string& title);
/// A message centred in the canvas ("no finished trials").
void draw_message(canvas& c, const std::string& message);

/// Widest label among `ticks`, in pixels at scale 1.
int max_label_width(const std::vector<tick>& ticks);

/// The x axis along the box's bottom edge: ticks at map.to_px(value) with
/// labels below, light grid lines up through the box when grid, and `title`
/// centred below the labels.
void draw_x_axis(canvas& c, const plot_box& box, const axis_map& map,
                 const std::vector<tick>& ticks, const std::string& title, bool grid);
/// The y axis along the box's left edge: tick labels to the left, grid lines
/// across when grid, and `title` rotated at the canvas's left margin.
void draw_y_axis(canvas& c, const plot_box& box, const axis_map& map,
                 const std::vector<tick>& ticks, const std::string& title, bool grid);

/// The sequential colour scale (light to dark blue, as matplotlib's "Blues"
/// from 0.25 to 1): t = 0 the lightest, t = 1 the darkest; t is clamped.
rgb blues(double t);

} // namespace lagom::plot
