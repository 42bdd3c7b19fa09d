// plot/feature_plots: the feature store's figures. A correlation heatmap
// (the seed's visualize_featuregroup_correlations) and a histogram (one per
// feature, visualize_featuregroup_distributions), drawn on a canvas from
// statistics the store already holds (no rows are read).
//
// Heatmap: k x k cells, red for +1, white for 0, blue for -1, gray for NaN (a
// constant column); the cell size shrinks with k (at least 1 pixel: 786
// Fashion-MNIST columns make a 786-pixel square); names are written along
// the axes while a cell is tall enough for the font, then left out.
// Histogram: bars of the bin counts over [lo, hi], with a count axis and the
// range on the x axis.
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lagom/status.hpp"
#include "plot/canvas.hpp"

namespace lagom::plot {

/// `m` is k x k row-major, `names` k long (else an empty canvas with a
/// message saying so).
canvas draw_heatmap(const std::vector<double>& m, const std::vector<std::string>& names,
                    const std::string& title);

/// Bars of `counts` over [lo, hi]; an empty histogram (no values) says so.
canvas draw_histogram(const std::vector<uint64_t>& counts, double lo, double hi,
                      const std::string& title);

/// The diverging colour of a correlation in [-1, 1] (NaN: gray).
rgb diverging(double v);

} // namespace lagom::plot
