// actor_env: a real caf::actor_system for the service actor tests, and
// blocking requests that come back as a status. Every wait is bounded by ten
// seconds. Actors handed to keep() are asked to quit when the env goes (even
// after a failed REQUIRE), so that the system's destructor does not wait on
// them; a test must not hold other handles to them past the env.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include <caf/all.hpp>

#include "lagom/status.hpp"
#include "wire/configure.hpp"
#include "wire/errors.hpp"
#include "wire/frame.hpp"

namespace lagom::test {

class actor_env {
public:
  actor_env() {
    wire::configure(cfg_);
    sys_ = std::make_unique<caf::actor_system>(cfg_);
  }
  ~actor_env() {
    for (auto& a : kept_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    // A detached actor's thread ends only once its last handle is gone.
    kept_.clear();
    sys_.reset();
  }
  actor_env(const actor_env&) = delete;
  actor_env& operator=(const actor_env&) = delete;

  caf::actor_system& sys() { return *sys_; }

  caf::actor keep(caf::actor a) {
    kept_.push_back(a);
    return a;
  }

  /// A request whose answer is a frame.
  template <class... Ts>
  status ask(const caf::actor& who, wire::frame& reply, Ts&&... xs) {
    caf::scoped_actor self{*sys_};
    status out = status::error(errc::internal, "no reply", "test");
    self->request(who, limit, std::forward<Ts>(xs)...)
      .receive(
        [&](wire::frame& f) {
          reply = std::move(f);
          out = status::ok();
        },
        [&](caf::error& e) { out = wire::to_status(e); });
    return out;
  }

  /// A request whose answer is unit (an empty message).
  template <class... Ts>
  status tell(const caf::actor& who, Ts&&... xs) {
    caf::scoped_actor self{*sys_};
    status out = status::error(errc::internal, "no reply", "test");
    self->request(who, limit, std::forward<Ts>(xs)...)
      .receive([&]() { out = status::ok(); }, [&](caf::error& e) { out = wire::to_status(e); });
    return out;
  }

  static constexpr std::chrono::seconds limit{10};

private:
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::vector<caf::actor> kept_;
};

} // namespace lagom::test
