#include "wire/errors.hpp"

#include <caf/atom.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>
#include <caf/to_string.hpp>

namespace lagom::wire {

namespace {
constexpr caf::atom_value lagom_category = caf::atom("lagom");
}

caf::error to_error(const status& s) {
  if (s.is_ok())
    return caf::none;
  return caf::error{static_cast<uint8_t>(s.code()), lagom_category,
                    caf::make_message(s.message(), s.where())};
}

status to_status(const caf::error& e) {
  if (!e)
    return status::ok();
  if (e.category() == lagom_category) {
    auto& ctx = e.context();
    std::string msg, where;
    if (ctx.match_elements<std::string, std::string>()) {
      msg = ctx.get_as<std::string>(0);
      where = ctx.get_as<std::string>(1);
    }
    return status::error(static_cast<errc>(e.code()), msg, where);
  }
  errc code = errc::internal;
  if (e.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(e.code())) {
      case caf::sec::request_timeout: code = errc::timeout; break;
      case caf::sec::request_receiver_down:
      case caf::sec::no_actor_published_at_port:
      case caf::sec::cannot_connect_to_node:
      case caf::sec::remote_linking_failed: code = errc::container_lost; break;
      default: code = errc::internal; break;
    }
    if (static_cast<caf::sec>(e.code()) == caf::sec::cannot_connect_to_node
        || static_cast<caf::sec>(e.code()) == caf::sec::no_actor_published_at_port)
      code = errc::io_error;
  }
  return status::error(code, caf::to_string(e));
}

} // namespace lagom::wire
