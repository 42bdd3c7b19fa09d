#include "wire/configure.hpp"

#include <chrono>

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>

#include "lagom/status.hpp"
#include "wire/frame.hpp"

namespace lagom::wire {

void configure(caf::actor_system_config& cfg) {
  // An idle CAF 0.17 worker polls its queue every 50 us (plus the OS's timer
  // slack) for 500 polls before it blocks on a condition variable, and a
  // message from another thread or process (a function's thread, the
  // network) waits for its next poll. Blocking at once, woken by the sender,
  // takes a remote round trip from 265 to 100 us (bench_wire) and a trial
  // loop's ask from ~200 to ~130 us (bench_search, de), and idle workers no
  // longer spin beside the train functions. A blocked worker still wakes
  // every 1 ms to steal work queued behind a busy one.
  cfg.set("work-stealing.moderate-poll-attempts", 0);
  cfg.set("work-stealing.relaxed-sleep-duration", caf::timespan{std::chrono::milliseconds(1)});
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
