// actors::supervisor: the protocol and failure semantics are in supervisor.hpp.
// The decisions (whom, when, give up) come from supervision::restart_policy;
// this file only applies them: stop siblings, arm the timer, start children.
#include "actors/supervisor.hpp"

#include <exception>
#include <map>
#include <set>
#include <utility>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "lagom/status.hpp"
#include "wire/atoms.hpp"
#include "wire/errors.hpp"

namespace lagom::actors {

namespace {

struct child_entry {
  child_spec spec;
  caf::actor handle; // null while the child waits for a restart
};

/// One decided restart: `children` start once the backoff timer has fired and
/// every sibling stopped for it is down.
struct pending_restart {
  std::vector<std::string> children;
  std::set<caf::actor_addr> stopping; // old incarnations not yet down
  bool timer_fired = false;
};

struct supervisor_state {
  static inline const char* name = "lagom.supervisor";

  // Constant after construction.
  std::string id; // the supervisor's name, in logs and errors

  // Mutable; only the supervisor's own handlers touch these.
  std::vector<child_entry> children; // start order; normally exited ones removed
  supervision::restart_policy policy;
  std::map<uint64_t, pending_restart> pending; // by timer id
  uint64_t next_timer = 0;

  child_entry* find(const std::string& child) {
    for (auto& c : children)
      if (c.spec.name == child)
        return &c;
    return nullptr;
  }

  // Runs when the actor exits for any reason, kill included.
  ~supervisor_state() {
    for (auto& c : children)
      caf::anon_send_exit(c.handle, caf::exit_reason::user_shutdown);
  }
};

using self_ptr = caf::stateful_actor<supervisor_state>*;

caf::error failed(const std::string& msg, const std::string& where) {
  return wire::to_error(status::error(errc::function_failed, msg, where));
}

/// Starts `c` and monitors it; false when start() gave no actor.
bool start(self_ptr self, child_entry& c) {
  try {
    c.handle = c.spec.start(self->system());
  } catch (const std::exception& e) {
    spdlog::error("supervisor {}: starting {} threw: {}", self->state.id, c.spec.name, e.what());
    c.handle = nullptr;
  }
  if (!c.handle)
    return false;
  self->monitor(c.handle);
  return true;
}

void fail(self_ptr self, const std::string& child, const std::string& why) {
  auto& st = self->state;
  std::vector<std::string> siblings;
  for (auto& c : st.children)
    siblings.push_back(c.spec.name);
  auto d = st.policy.on_failure(child, siblings, self->clock().now());
  if (!d.restart) {
    spdlog::error("supervisor {}: {} (last exit: {})", st.id, d.reason, why);
    self->quit(failed(d.reason + " (last exit: " + why + ")", st.id + "/" + child));
    return; // ~supervisor_state stops the children
  }
  spdlog::warn("supervisor {}: {} (exit: {})", st.id, d.reason, why);
  auto timer = st.next_timer++;
  auto& p = st.pending[timer];
  p.children = d.children;
  for (auto& name : d.children) {
    auto c = st.find(name);
    if (c == nullptr || !c->handle)
      continue; // the failed child itself, or one already waiting
    p.stopping.insert(c->handle.address());
    self->send_exit(c->handle, caf::exit_reason::user_shutdown);
    c->handle = nullptr;
  }
  self->delayed_send(self, d.delay, atoms::restart::value, timer);
}

/// Starts the children of restart `timer` if its time has come.
void try_restart(self_ptr self, uint64_t timer) {
  auto& st = self->state;
  auto it = st.pending.find(timer);
  if (it == st.pending.end() || !it->second.timer_fired)
    return;
  if (!it->second.stopping.empty()) {
    // Backoff over but some stopped sibling still runs: stop waiting politely.
    for (auto& addr : it->second.stopping)
      self->send_exit(addr, caf::exit_reason::kill);
    return; // their down messages call us again
  }
  auto names = std::move(it->second.children);
  st.pending.erase(it);
  for (auto& name : names) {
    auto c = st.find(name);
    if (c == nullptr || c->handle)
      continue; // removed meanwhile, or already running
    if (!start(self, *c)) {
      fail(self, name, "start gave no actor");
      return;
    }
  }
}

// Bad input does not get better by retrying: a child that failed with an
// invalid argument or a refused token is not restarted.
bool permanent(const caf::error& reason) {
  auto st = wire::to_status(reason);
  return reason.category() == caf::atom("lagom")
         && (st.code() == errc::invalid_argument || st.code() == errc::unauthorized);
}

void on_down(self_ptr self, caf::down_msg& dm) {
  auto& st = self->state;
  for (auto& [timer, p] : st.pending) {
    if (p.stopping.erase(dm.source) > 0) { // a sibling we stopped: expected
      try_restart(self, timer);
      return;
    }
  }
  auto it = st.children.begin();
  while (it != st.children.end() && it->handle.address() != dm.source)
    ++it;
  if (it == st.children.end())
    return; // an incarnation we no longer track
  if (dm.reason == caf::exit_reason::normal) {
    spdlog::info("supervisor {}: {} exited normally, not restarted", st.id, it->spec.name);
    st.children.erase(it);
    return;
  }
  it->handle = nullptr;
  if (permanent(dm.reason)) {
    spdlog::error("supervisor {}: {} failed for good: {}", st.id, it->spec.name,
                  self->system().render(dm.reason));
    self->quit(dm.reason); // escalate the child's own reason
    return;
  }
  fail(self, it->spec.name, self->system().render(dm.reason));
}

caf::behavior supervisor(self_ptr self, std::string id, supervision::restart_options opts,
                         std::vector<child_spec> children) {
  auto& st = self->state;
  st.id = std::move(id);
  st.policy = supervision::restart_policy{opts};
  for (auto& spec : children) {
    if (st.find(spec.name) != nullptr) {
      self->quit(wire::to_error(
        status::error(errc::invalid_argument, "duplicate child name", st.id + "/" + spec.name)));
      return {};
    }
    st.children.push_back(child_entry{std::move(spec), nullptr});
  }
  for (auto& c : st.children) {
    if (!start(self, c)) {
      self->quit(failed("start gave no actor", st.id + "/" + c.spec.name));
      return {};
    }
  }
  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
  return {
    [self](caf::get_atom, const std::string& name) -> caf::result<caf::actor> {
      auto& st = self->state;
      auto c = st.find(name);
      if (c == nullptr)
        return wire::to_error(status::error(errc::not_found, "no such child", st.id + "/" + name));
      if (!c->handle)
        return wire::to_error(
          status::error(errc::unavailable, "child is waiting for its restart", st.id + "/" + name));
      return c->handle;
    },
    [self](atoms::restart, uint64_t timer) {
      auto it = self->state.pending.find(timer);
      if (it == self->state.pending.end())
        return;
      it->second.timer_fired = true;
      try_restart(self, timer);
    },
  };
}

} // namespace

caf::actor spawn_supervisor(caf::actor_system& sys, std::string name,
                            supervision::restart_options opts, std::vector<child_spec> children) {
  return sys.spawn(supervisor, std::move(name), std::move(opts), std::move(children));
}

} // namespace lagom::actors
