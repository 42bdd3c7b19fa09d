#include "actors/door.hpp"

#include <caf/all.hpp>

namespace lagom::actors {

status door_check(spdlog::logger& log, const wire::frame& f, const std::string& door,
                  const caf::strong_actor_ptr& sender) {
  auto p = f.proof();
  if (p == wire::proof::local || p == wire::proof::proven)
    return status::ok();
  std::string who = sender ? caf::to_string(sender) : std::string{"an anonymous sender"};
  log.warn("refused a request to {} from {}: {}", door, who, wire::to_string(p));
  return status::error(errc::unauthorized,
                       std::string(wire::to_string(p))
                         + " (start the client with --token or LAGOM_TOKEN)",
                       door);
}

status fence_check(spdlog::logger& log, const supervision::membership* members,
                   const wire::frame& f, const std::string& door,
                   const caf::strong_actor_ptr& sender) {
  if (members == nullptr)
    return status::ok();
  auto st = members->admit_write(f.epoch(), door);
  if (!st)
    log.warn("refused a write to {} from {}: {}", door,
             sender ? caf::to_string(sender) : std::string{"an anonymous sender"},
             st.message());
  return st;
}

} // namespace lagom::actors
