#include "actors/services.hpp"

#include <cstdlib>

#include <caf/all.hpp>

#include "actors/checkpointer.hpp"
#include "actors/experiment_registry.hpp"
#include "actors/feature_store_router.hpp"
#include "actors/log_aggregator.hpp"

namespace lagom::actors {

std::string resolve_data_dir(const std::string& dir) {
  if (!dir.empty())
    return dir;
  if (const char* env = std::getenv("LAGOM_HOME"); env != nullptr && *env != '\0')
    return env;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && *home != '\0' ? home : ".") + "/.lagom";
}

status spawn_services(caf::actor_system& sys, const std::string& data_dir,
                      service_handles& out,
                      std::shared_ptr<const supervision::membership> members,
                      const std::string& shared_data,
                      std::vector<std::shared_ptr<storage::feature_store>>* stores) {
  service_handles s;
  if (auto st = spawn_experiment_registry(sys, data_dir, s.registry, members); !st)
    return status::error(st.code(), "cannot open the experiment registry: " + st.message(),
                         st.where().empty() ? data_dir + "/registry" : st.where());
  if (auto st = spawn_feature_store(sys, data_dir + "/featurestore", feature_store_shards,
                                    s.feature_store, stores);
      !st) {
    caf::anon_send_exit(s.registry, caf::exit_reason::user_shutdown);
    return st;
  }
  s.checkpointer = spawn_checkpointer(sys, shared_data.empty() ? data_dir : shared_data, 3, members);
  s.logs = spawn_log_aggregator(sys, data_dir, std::move(members));
  out = std::move(s);
  return status::ok();
}

void stop_services(const service_handles& s) {
  for (auto& a : {s.registry, s.checkpointer, s.logs, s.feature_store})
    if (a)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

} // namespace lagom::actors
