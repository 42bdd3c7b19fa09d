// cluster::impl: what a lagom::cluster holds (its actor system, the head's
// handle, the service handles), shared by the files of actors/api/ that
// implement the API.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include <caf/all.hpp>

#include "actors/services.hpp"
#include "lagom/cluster.hpp"
#include "wire/errors.hpp"
#include "wire/frame.hpp"
#include "wire/socket_client.hpp"

namespace lagom {

struct cluster::impl {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor head;
  std::vector<caf::actor> nodes; // embedded only
  bool embedded = false;
  std::string address;           // connected: the head's HOST:PORT
  std::string data_dir;          // this process's data directory (plots go under it)
  // The head's services: spawned here when embedded (and stopped with it),
  // else asked of the head once (actors/api/experiments.cpp) and cached.
  actors::service_handles services;
  // Drivers waited on now (drive()), for cancel() from another thread.
  std::mutex drivers_m;
  std::condition_variable drivers_cv;
  std::vector<caf::actor> drivers;     // those that take (atoms::cancel, reason)
  size_t driving = 0;                  // drive() calls in flight
  std::string cancelled;               // not empty: cancel() was called, why
  // Connected: the head's online door for feature lookups
  // (actors/api/feature_store.cpp), asked of the head once ((atoms::fs_online));
  // null when the head has none (then lookups take the actor path).
  std::mutex online_m;
  bool online_known = false;
  std::unique_ptr<wire::socket_client> online;

  ~impl() {
    if (!sys)
      return;
    for (auto& n : nodes)
      caf::anon_send_exit(n, caf::exit_reason::user_shutdown);
    if (embedded && head)
      caf::anon_send_exit(head, caf::exit_reason::user_shutdown);
    if (embedded)
      actors::stop_services(services);
  }

  /// Asks `driver` (atoms::launch) and waits for its answer, at most
  /// `bound`; when connected, a lost head ends the wait (actors/head_guard.hpp)
  /// with an error naming the address and `hint`. A `cancellable` driver
  /// takes (atoms::cancel, std::string reason) from cancel(); after
  /// cancel() every drive fails at once (unavailable, "cancelled: ...").
  status drive(const caf::actor& driver, caf::duration bound, const std::string& hint,
               bool cancellable = false);

  template <class... Ts>
  status ask(std::chrono::milliseconds timeout, wire::frame& reply, Ts&&... xs) {
    caf::scoped_actor self{*sys};
    status out;
    self->request(head, timeout, std::forward<Ts>(xs)...)
      .receive([&](wire::frame& f) { reply = std::move(f); },
               [&](caf::error& err) { out = wire::to_status(err); });
    return out;
  }
};

} // namespace lagom
