// The PNG plots of a finished search: its optimization history and its
// parallel coordinates, written under `dir` (created when absent).
#pragma once

#include <string>
#include <vector>

#include "lagom/search.hpp"
#include "lagom/status.hpp"

namespace lagom {

/// Writes DIR/optimization_history.png and DIR/parallel_coordinates.png;
/// their paths are appended to `written`. io_error naming the path.
status write_search_plots(const searchspace& space, const search_result& result,
                          const std::string& dir, std::vector<std::string>& written);

} // namespace lagom
