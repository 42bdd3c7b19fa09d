// `lagom experiments`, `lagom show EXPERIMENT`, `lagom logs EXPERIMENT [RUN]
// [--tail N]`: the registry and the run logs of the --data directory (an
// embedded cluster on it) or of a head (--connect). They run the shell's
// commands of the same names; a failure (an unknown experiment) is printed
// naming what failed, with exit code 1.
#include <iostream>

#include "cli/commands/cluster_flags.hpp"
#include "cli/interpreter.hpp"

namespace lagom::cli {

namespace {

int run_one(const char* name, const cluster_flags& f, const script::command& cmd) {
  std::unique_ptr<cluster> c;
  if (auto st = open_cluster(f, c); !st) {
    std::cerr << "lagom " << name << ": " << st.to_string() << "\n";
    return 1;
  }
  interpreter interp{*c, std::cout};
  bool quit = false;
  if (auto st = interp.execute(cmd, quit); !st) {
    std::cerr << "lagom " << name << ": " << st.to_string() << "\n";
    return 1;
  }
  return 0;
}

} // namespace

int run_experiments(const cluster_flags& f) {
  return run_one("experiments", f, script::experiments_cmd{});
}

int run_show(const cluster_flags& f, const std::string& experiment) {
  script::show_cmd cmd;
  cmd.experiment = experiment;
  return run_one("show", f, cmd);
}

int run_resume(const cluster_flags& f, const std::string& experiment) {
  script::resume_cmd cmd;
  cmd.experiment = experiment;
  return run_one("resume", f, cmd);
}

int run_logs(const logs_flags& f) {
  script::logs_cmd cmd;
  cmd.experiment = f.experiment;
  cmd.has_run = f.has_run;
  cmd.run = f.run;
  cmd.tail = f.tail;
  return run_one("logs", f.cluster, cmd);
}

int run_fs(const fs_flags& f) {
  const std::string label = "fs " + f.action;
  auto need_name = [&]() {
    if (!f.name.empty())
      return true;
    std::cerr << "lagom " << label << ": needs a feature group NAME\n";
    return false;
  };
  if (f.action == "list") {
    if (!f.name.empty()) {
      std::cerr << "lagom fs list: takes no NAME, got '" << f.name << "'\n";
      return 2;
    }
    return run_one(label.c_str(), f.cluster, script::featuregroup_admin_cmd{"list", "", {}});
  }
  if (f.action == "versions" || f.action == "drop") {
    if (!need_name())
      return 2;
    return run_one(label.c_str(), f.cluster, script::featuregroup_admin_cmd{f.action, f.name, {}});
  }
  if (f.action == "show") {
    if (!need_name())
      return 2;
    script::get_featuregroup_cmd cmd;
    cmd.name = f.name;
    cmd.version = f.version;
    cmd.show = f.rows;
    return run_one(label.c_str(), f.cluster, cmd);
  }
  if (f.action == "stats") {
    if (!need_name())
      return 2;
    script::featuregroup_stats_cmd cmd;
    cmd.name = f.name;
    cmd.version = f.version;
    return run_one(label.c_str(), f.cluster, cmd);
  }
  std::cerr << "lagom fs: unknown action '" << f.action
            << "' (list, show, stats, versions, drop)\n";
  return 2;
}

} // namespace lagom::cli
