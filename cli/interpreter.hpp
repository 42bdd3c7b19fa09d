// cli::interpreter: carries out validated script commands on a cluster and
// prints what they produce as aligned tables. The same object serves
// `lagom run FILE` and `lagom shell`; it uses only the public lagom API.
#pragma once

#include <ostream>

#include "cli/script/commands.hpp"
#include "lagom/cluster.hpp"

namespace lagom::cli {

class interpreter {
public:
  interpreter(cluster& c, std::ostream& out) : cluster_(c), out_(out) {}

  /// Runs one command. A failure (a container that failed, an unknown
  /// function, no resources) comes back as a status for the caller to report
  /// with the command's location. Sets `quit` for quit/exit.
  status execute(const script::command& cmd, bool& quit);

private:
  status launch(const script::launch_cmd& cmd);
  /// Runs a launch (or resumes one: lo.resume) and prints its runs' table.
  status launch_and_print(const std::string& function, launch_options lo);
  status all_reduce(const script::all_reduce_cmd& cmd); // interpreter_all_reduce.cpp
  status show_status();

  // search and resume (interpreter_search.cpp).
  status search(const script::search_cmd& cmd);
  status resume(const script::resume_cmd& cmd);
  status print_search(const search_result& r);

  // experiments, show and logs (interpreter_experiments.cpp).
  static bool is_experiment_command(const script::command& cmd);
  status execute_experiment_command(const script::command& cmd);
  status list_experiments();
  status show_experiment(const script::show_cmd& cmd);
  status show_logs(const script::logs_cmd& cmd);

  // the feature store (interpreter_features.cpp).
  static bool is_feature_command(const script::command& cmd);
  status execute_feature_command(const script::command& cmd);
  cluster& cluster_;
  std::ostream& out_;
};

} // namespace lagom::cli
