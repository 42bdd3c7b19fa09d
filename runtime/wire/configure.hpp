// Registers lagom's message types and error category with a CAF config.
// Every lagom process calls this before constructing its actor_system: a type
// missing on one side is not a compile error, it arrives as an empty message.
#pragma once

#include <caf/fwd.hpp>

namespace lagom::wire {

void configure(caf::actor_system_config& cfg);

} // namespace lagom::wire
