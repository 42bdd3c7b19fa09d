// `lagom status`: nodes and their free/used resources, as a table. With
// --wait-nodes / --wait-running it first waits (bounded by --wait-ms) until
// that many nodes joined and functions run: scripts and tests use it instead
// of sleeping.
#include <iostream>

#include "cli/commands/cluster_flags.hpp"
#include "cli/interpreter.hpp"

namespace lagom::cli {

int run_status(const status_flags& f) {
  std::unique_ptr<cluster> c;
  if (auto st = open_cluster(f.cluster, c); !st) {
    std::cerr << "lagom status: " << st.to_string() << "\n";
    return 1;
  }
  if (f.wait_nodes > 0 || f.wait_running > 0)
    if (auto st = c->await(f.wait_nodes, f.wait_running, std::chrono::milliseconds(f.wait_ms));
        !st) {
      std::cerr << "lagom status: " << st.to_string() << "\n";
      return 1;
    }
  interpreter interp{*c, std::cout};
  bool quit = false;
  if (auto st = interp.execute(script::status_cmd{}, quit); !st) {
    std::cerr << "lagom status: " << st.to_string() << "\n";
    return 1;
  }
  return 0;
}

} // namespace lagom::cli
