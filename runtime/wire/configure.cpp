#include "wire/configure.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>

#include "lagom/status.hpp"
#include "wire/frame.hpp"

namespace lagom::wire {

void configure(caf::actor_system_config& cfg) {
  cfg.add_message_type<frame>("lagom.frame");
  cfg.add_error_category(caf::atom("lagom"), [](uint8_t code, caf::atom_value, const caf::message& ctx) {
    std::string out = "lagom.";
    out += to_string(static_cast<errc>(code));
    if (ctx.match_elements<std::string, std::string>()) {
      out += ": ";
      if (!ctx.get_as<std::string>(1).empty())
        out += ctx.get_as<std::string>(1) + ": ";
      out += ctx.get_as<std::string>(0);
    }
    return out;
  });
}

} // namespace lagom::wire
