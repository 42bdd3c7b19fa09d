// lagom::status <-> caf::error. Errors of category "lagom" carry the errc code
// and a context message (message, where); wire::configure() registers a
// renderer so CAF prints them as "lagom.<code>: where: message".
#pragma once

#include <caf/error.hpp>

#include "lagom/status.hpp"

namespace lagom::wire {

caf::error to_error(const status& s);

/// Any caf::error as a status; CAF's own errors (timeouts, dead receivers,
/// unreachable nodes) map to the closest errc with CAF's text as message.
status to_status(const caf::error& e);

} // namespace lagom::wire
