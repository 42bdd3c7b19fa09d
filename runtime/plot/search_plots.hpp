// plot: the two figures a hyperparameter search writes, as PNG files, in the
// manner of Optuna's plot_optimization_history and plot_parallel_coordinate.
//
// Decoupled from runtime/tuning: the caller copies each trial into a
// plot_trial and each hyperparameter into a plot_axis. Which trials appear:
//
//   optimization history   finished and stopped_early trials with a value;
//                          the best-so-far line follows finished ones only
//                          (a stopped trial's value is from a smaller budget)
//   parallel coordinates   finished trials with a value and one coordinate
//                          per axis that the axis can show
//
// A trial whose value or coordinate is NaN or infinite (or not positive on a
// log axis, or not a category index on a categorical one) is skipped, as are
// failed trials. With no trial left the image still gets written, saying
// "no finished trials".
//
// Plain C++, no shared state: the functions may run on any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lagom/run_status.hpp"
#include "lagom/status.hpp"
#include "plot/axes.hpp"
#include "plot/canvas.hpp"
#include "plot/chart.hpp"

namespace lagom::plot {

struct plot_trial {
  uint32_t id = 0;
  run_status status = run_status::finished;  ///< finished, stopped_early or failed
  bool has_value = false;
  double value = 0;            ///< the metric; meaningful when has_value
  std::vector<double> coords;  ///< one per plot_axis: the number, or the category index
};

struct plot_axis {
  std::string name;
  bool log = false;                     ///< a log10 axis (values must be > 0)
  std::vector<std::string> categories;  ///< non-empty: categorical, coords index it
};

struct plot_size {
  int width = 900;
  int height = 540;
};

/// Where draw_optimization_history put things, for tests and callers that
/// annotate: trial id -> x pixel, metric -> y pixel, and the data box.
struct history_layout {
  axis_map x, y;
  plot_box box;
};

/// Where draw_parallel_coordinates put things: axis_x[i] is the pixel column
/// of axis i and axes[i] maps its values to y pixels; axis 0 is the metric,
/// axis i + 1 the plot_axis i (categorical: the category index).
struct parallel_layout {
  std::vector<int> axis_x;
  std::vector<axis_map> axes;
  plot_box box;                ///< rows top..bottom hold the axes and the colour bar
  int bar_left = 0, bar_right = 0;  ///< the colour bar's columns
  double best = 0, worst = 0;  ///< metric values at the dark and light end of blues()
};

/// x: trial id, y: metric. A dot per trial (finished blue, stopped early
/// orange), the best-so-far step line in red, a legend. Titled "Optimization
/// History Plot"; the y label says whether the metric is maximized.
canvas draw_optimization_history(const std::vector<plot_trial>& trials, const std::string& metric,
                                 bool maximize, history_layout* layout = nullptr,
                                 plot_size size = {});

/// One vertical axis per hyperparameter after the metric's; each trial a
/// polyline coloured by its value with blues() (best darkest, drawn last);
/// categorical axes labelled with their categories, log axes in log scale;
/// a colour bar at the right. `axes` beyond what the width fits (about 60
/// pixels each) are left out.
canvas draw_parallel_coordinates(const std::vector<plot_axis>& axes,
                                 const std::vector<plot_trial>& trials, const std::string& metric,
                                 bool maximize, parallel_layout* layout = nullptr,
                                 plot_size size = {});

/// draw_optimization_history written to `path` with write_png (atomic; on
/// failure io_error naming the path, and no file left behind).
status plot_optimization_history(const std::vector<plot_trial>& trials, const std::string& metric,
                                 bool maximize, const std::string& path);

/// draw_parallel_coordinates written to `path` as above.
status plot_parallel_coordinates(const std::vector<plot_axis>& axes,
                                 const std::vector<plot_trial>& trials, const std::string& metric,
                                 bool maximize, const std::string& path);

} // namespace lagom::plot
