#include "actors/api/search_plots.hpp"

#include "plot/search_plots.hpp"
#include "storage/posix_file.hpp"

namespace lagom {

status write_search_plots(const searchspace& space, const search_result& result,
                          const std::string& dir, std::vector<std::string>& written) {
  if (auto st = storage::make_dirs(dir); !st)
    return st;
  std::vector<plot::plot_axis> axes;
  for (auto& d : space.dims()) {
    plot::plot_axis a;
    a.name = d.name;
    a.log = d.log;
    if (d.kind == tuning::dim_kind::categorical)
      a.categories = d.choices;
    axes.push_back(std::move(a));
  }
  std::vector<plot::plot_trial> trials;
  for (auto& t : result.trials) {
    plot::plot_trial p;
    p.id = t.id;
    p.status = t.status;
    p.has_value = t.has_value;
    p.value = t.value;
    for (size_t i = 0; i < space.size(); ++i) {
      auto& d = space.dims()[i];
      const value* v = t.config.find(d.name);
      double x = 0;
      if (v != nullptr && d.kind == tuning::dim_kind::categorical) {
        for (size_t c = 0; c < d.choices.size(); ++c)
          if (std::get_if<std::string>(v) && d.choices[c] == std::get<std::string>(*v))
            x = double(c);
      } else if (v != nullptr && std::holds_alternative<double>(*v)) {
        x = std::get<double>(*v);
      }
      p.coords.push_back(x);
    }
    trials.push_back(std::move(p));
  }
  bool maximize = result.direction != "min";
  std::string history = dir + "/optimization_history.png";
  if (auto st = plot::plot_optimization_history(trials, result.metric, maximize, history); !st)
    return st;
  written.push_back(history);
  std::string parallel = dir + "/parallel_coordinates.png";
  if (auto st = plot::plot_parallel_coordinates(axes, trials, result.metric, maximize, parallel);
      !st)
    return st;
  written.push_back(parallel);
  return status::ok();
}

} // namespace lagom
