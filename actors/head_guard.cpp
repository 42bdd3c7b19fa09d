#include "actors/head_guard.hpp"

#include <caf/all.hpp>

#include "core/log.hpp"
#include "lagom/status.hpp"
#include "wire/atoms.hpp"
#include "wire/errors.hpp"

namespace lagom::actors {

namespace {

caf::behavior head_guard(caf::event_based_actor* self, caf::actor head, caf::actor driver,
                         std::string where, std::string hint) {
  auto log = log::make("client", "head_guard");
  return {
    [=](atoms::launch) -> caf::result<caf::unit_t> {
      auto rp = self->make_response_promise<caf::unit_t>();
      // A driver that ends without answering (a bug, or an error that made
      // it quit) must not leave the caller waiting forever either.
      self->monitor(driver);
      if (head && head.node() != self->node())
        self->monitor(head);
      self->set_down_handler([=](caf::down_msg& dm) {
        if (dm.source == driver.address()) {
          // Its answer, if it gave one, is on its way (a response and a
          // down message may be handled in either order): wait for it briefly.
          self->delayed_send(self, std::chrono::seconds(1), atoms::tick::value,
                             caf::to_string(dm.reason));
          return;
        }
        {
          if (dm.source != head.address())
            return;
          auto why = status::error(errc::unavailable,
                                   "the head at " + where + " is gone ("
                                     + caf::to_string(dm.reason) + "); the run did not finish"
                                     + hint,
                                   "head " + where);
          log->error("{}", why.to_string());
          self->send_exit(driver, caf::exit_reason::user_shutdown);
          auto answer = rp;
          answer.deliver(wire::to_error(why));
          self->quit();
        }
      });
      self->become(caf::keep_behavior,
        [=](atoms::tick, const std::string& reason) mutable {
          if (self->current_sender() != self->ctrl())
            return;
          auto why = status::error(errc::internal,
                                   "the driver ended without an answer (" + reason + ")" + hint,
                                   "driver");
          log->error("{}", why.to_string());
          rp.deliver(wire::to_error(why));
          self->quit();
        });
      self->request(driver, caf::infinite, atoms::launch::value)
        .then(
          [=]() mutable {
            rp.deliver(caf::unit);
            self->quit();
          },
          [=](caf::error& err) mutable {
            rp.deliver(std::move(err));
            self->quit();
          });
      return rp;
    },
  };
}

} // namespace

caf::actor spawn_head_guard(caf::actor_system& sys, caf::actor head, caf::actor driver,
                            std::string where, std::string hint) {
  return sys.spawn(head_guard, std::move(head), std::move(driver), std::move(where),
                   std::move(hint));
}

} // namespace lagom::actors
