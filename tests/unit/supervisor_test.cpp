// actors::supervisor on a real actor_system: restart after failure, no restart
// after a normal exit, giving up (escalation), one_for_all, stopping children.
//
// Test children report each start to the test's scoped_actor ("up", name,
// incarnation), so the test waits for events instead of sleeping. Every wait is
// bounded by five seconds.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/supervisor.hpp"
#include "lagom/status.hpp"
#include "wire/configure.hpp"
#include "wire/errors.hpp"

using namespace lagom;
using actors::child_spec;
using supervision::strategy;
using std::chrono::seconds;

namespace {

using ping_atom = caf::atom_constant<caf::atom("ping")>;
using fail_atom = caf::atom_constant<caf::atom("fail")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using up_atom = caf::atom_constant<caf::atom("up")>;

constexpr auto wait_limit = seconds(5);

/// Answers ping with its incarnation; fail: quits with an error (code given,
/// function_failed by default); stop: quits normally.
caf::behavior test_child(caf::event_based_actor* self, int incarnation) {
  return {
    [=](ping_atom) { return incarnation; },
    [=](fail_atom) {
      self->quit(wire::to_error(status::error(errc::function_failed, "told to fail")));
    },
    [=](fail_atom, uint8_t code) {
      self->quit(wire::to_error(status::error(static_cast<errc>(code), "told to fail")));
    },
    [=](stop_atom) { self->quit(); },
  };
}

/// A test_child that ignores every exit message but kill.
caf::behavior stubborn_child(caf::event_based_actor* self, int incarnation) {
  self->set_exit_handler([](caf::exit_msg&) {});
  return test_child(self, incarnation);
}

using child_fun = caf::behavior (*)(caf::event_based_actor*, int);

/// A child that tells `observer` (up, name, incarnation) each time it starts.
child_spec reporting_child(std::string name, caf::actor observer, child_fun fun = test_child) {
  auto count = std::make_shared<std::atomic<int>>(0);
  return {name, [=](caf::actor_system& sys) {
            int n = ++*count;
            auto h = sys.spawn(fun, n);
            caf::anon_send(observer, up_atom::value, name, n);
            return h;
          }};
}

supervision::restart_options fast(strategy s, uint32_t max_restarts) {
  supervision::restart_options o;
  o.strat = s;
  o.max_restarts = max_restarts;
  o.window = std::chrono::milliseconds(60000);
  o.backoff_initial = std::chrono::milliseconds(1);
  o.backoff_max = std::chrono::milliseconds(5);
  return o;
}

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<caf::scoped_actor> self;
  std::vector<caf::actor> sups;                 // killed at the end, even after a failed REQUIRE
  std::map<caf::actor_addr, caf::error> downs;  // down messages seen so far

  fixture() {
    wire::configure(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    self = std::make_unique<caf::scoped_actor>(*sys);
  }
  ~fixture() {
    for (auto& sup : sups)
      caf::anon_send_exit(sup, caf::exit_reason::kill);
    self.reset();
    sys.reset();
  }

  caf::actor spawn(strategy s, uint32_t max_restarts, std::vector<child_spec> children) {
    sups.push_back(
      actors::spawn_supervisor(*sys, "t", fast(s, max_restarts), std::move(children)));
    return sups.back();
  }

  child_spec kid(std::string name) { return reporting_child(std::move(name), *self); }

  /// Waits for the next (up, name, n) and checks it.
  void expect_up(const std::string& name, int incarnation) {
    bool got = false;
    (*self)->receive(
      [&](up_atom, const std::string& who, int n) {
        CHECK(who == name);
        CHECK(n == incarnation);
        got = true;
      },
      caf::after(wait_limit) >> [] {});
    REQUIRE(got);
  }

  /// The supervisor's answer to (get, name): a handle, or the error as a status.
  caf::actor get(const caf::actor& sup, const std::string& name, status* err = nullptr) {
    caf::actor out;
    (*self)->request(sup, wait_limit, caf::get_atom::value, name)
      .receive([&](const caf::actor& h) { out = h; },
               [&](const caf::error& e) {
                 if (err != nullptr)
                   *err = wire::to_status(e);
               });
    return out;
  }

  int ping(const caf::actor& child) {
    int out = -1;
    (*self)->request(child, wait_limit, ping_atom::value)
      .receive([&](int n) { out = n; }, [&](const caf::error&) {});
    return out;
  }

  /// Waits for the down message of a monitored actor and returns its reason.
  /// Down messages of other actors seen meanwhile are kept for later calls.
  caf::error wait_down(const caf::actor& who) {
    while (downs.count(who.address()) == 0) {
      bool timed_out = false;
      (*self)->receive([&](caf::down_msg& dm) { downs[dm.source] = dm.reason; },
                       caf::after(wait_limit) >> [&] { timed_out = true; });
      REQUIRE_FALSE(timed_out);
    }
    return downs[who.address()];
  }
};

} // namespace

TEST_CASE_METHOD(fixture, "a failed child is restarted with a new handle and incarnation",
                 "[supervisor]") {
  auto sup = spawn(strategy::one_for_one, 3, {kid("a"), kid("b")});
  expect_up("a", 1);
  expect_up("b", 1);
  auto a1 = get(sup, "a");
  auto b1 = get(sup, "b");
  REQUIRE(a1);
  CHECK(ping(a1) == 1);

  (*self)->send(a1, fail_atom::value);
  expect_up("a", 2);
  auto a2 = get(sup, "a");
  REQUIRE(a2);
  CHECK(a2 != a1);
  CHECK(ping(a2) == 2);
  // one_for_one: the sibling was left alone.
  CHECK(get(sup, "b") == b1);
  CHECK(ping(b1) == 1);
  (*self)->send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "asking for an unknown child names it", "[supervisor]") {
  auto sup = spawn(strategy::one_for_one, 3, {kid("a")});
  expect_up("a", 1);
  status err;
  CHECK_FALSE(get(sup, "nobody", &err));
  CHECK(err.code() == errc::not_found);
  CHECK(err.where() == "t/nobody");
  (*self)->send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "a child that exits normally is not restarted", "[supervisor]") {
  auto sup = spawn(strategy::one_for_one, 3, {kid("a"), kid("b")});
  expect_up("a", 1);
  expect_up("b", 1);
  auto a1 = get(sup, "a");
  REQUIRE(a1);
  (*self)->monitor(a1);
  (*self)->send(a1, stop_atom::value);
  CHECK(wait_down(a1) == caf::exit_reason::normal);
  // The supervisor sees the exit on its own time: poll until it has removed "a".
  status err;
  auto deadline = std::chrono::steady_clock::now() + wait_limit;
  while (get(sup, "a", &err) && std::chrono::steady_clock::now() < deadline) {
  }
  CHECK(err.code() == errc::not_found);
  // No restart was started, and the sibling still runs.
  bool restarted = false;
  (*self)->receive([&](up_atom, const std::string&, int) { restarted = true; },
                   caf::after(std::chrono::milliseconds(0)) >> [] {});
  CHECK_FALSE(restarted);
  CHECK(ping(get(sup, "b")) == 1);
  (*self)->send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "after max_restarts the supervisor gives up and exits with an error",
                 "[supervisor]") {
  auto sup = spawn(strategy::one_for_one, 2, {kid("a"), kid("b")});
  (*self)->monitor(sup);
  expect_up("a", 1);
  expect_up("b", 1);
  auto b = get(sup, "b");
  REQUIRE(b);
  (*self)->monitor(b);
  for (int n = 1; n <= 2; ++n) {
    (*self)->send(get(sup, "a"), fail_atom::value);
    expect_up("a", n + 1);
  }
  (*self)->send(get(sup, "a"), fail_atom::value); // the third failure: give up
  auto reason = wait_down(sup);
  auto s = wire::to_status(reason);
  CHECK(s.code() == errc::function_failed);
  CHECK(s.where() == "t/a");
  CHECK(s.message().find("giving up") != std::string::npos);
  // Its remaining child was stopped with it.
  CHECK(wait_down(b) == caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "one_for_all restarts every sibling in start order", "[supervisor]") {
  auto sup = spawn(strategy::one_for_all, 3, {kid("a"), kid("b"), kid("c")});
  for (auto name : {"a", "b", "c"})
    expect_up(name, 1);
  auto a1 = get(sup, "a");
  auto b1 = get(sup, "b");
  auto c1 = get(sup, "c");
  (*self)->monitor(a1);
  (*self)->monitor(c1);
  (*self)->send(b1, fail_atom::value);
  // The running siblings are stopped with user_shutdown...
  CHECK(wait_down(a1) == caf::exit_reason::user_shutdown);
  CHECK(wait_down(c1) == caf::exit_reason::user_shutdown);
  // ...and all three start again, in start order.
  for (auto name : {"a", "b", "c"})
    expect_up(name, 2);
  for (auto name : {"a", "b", "c"})
    CHECK(ping(get(sup, name)) == 2);
  (*self)->send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "a sibling that ignores the stop is killed when the backoff ends",
                 "[supervisor]") {
  auto sup =
    spawn(strategy::one_for_all, 3, {kid("a"), reporting_child("s", *self, stubborn_child)});
  expect_up("a", 1);
  expect_up("s", 1);
  auto s1 = get(sup, "s");
  (*self)->monitor(s1);
  (*self)->send(get(sup, "a"), fail_atom::value);
  CHECK(wait_down(s1) == caf::exit_reason::kill);
  expect_up("a", 2);
  expect_up("s", 2);
  auto s2 = get(sup, "s");
  CHECK(ping(s2) == 2);
  // The supervisor's own exit only asks politely: s2 would outlive it.
  (*self)->send_exit(s2, caf::exit_reason::kill);
}

TEST_CASE_METHOD(fixture, "a supervisor told to exit stops its children", "[supervisor]") {
  auto sup = spawn(strategy::one_for_one, 3, {kid("a"), kid("b")});
  expect_up("a", 1);
  expect_up("b", 1);
  auto a = get(sup, "a");
  auto b = get(sup, "b");
  (*self)->monitor(a);
  (*self)->monitor(b);
  (*self)->monitor(sup);
  (*self)->send_exit(sup, caf::exit_reason::user_shutdown);
  CHECK(wait_down(sup) == caf::exit_reason::user_shutdown);
  CHECK(wait_down(a) == caf::exit_reason::user_shutdown);
  CHECK(wait_down(b) == caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "a child whose start gives no actor fails the supervisor's start",
                 "[supervisor]") {
  child_spec broken{"broken", [](caf::actor_system&) { return caf::actor{}; }};
  auto sup = spawn(strategy::one_for_one, 3, {kid("a"), broken});
  (*self)->monitor(sup);
  expect_up("a", 1);
  auto s = wire::to_status(wait_down(sup));
  CHECK(s.code() == errc::function_failed);
  CHECK(s.where() == "t/broken");
}

TEST_CASE_METHOD(fixture, "a child refused for bad input or a wrong token is not restarted",
                 "[supervisor]") {
  auto code = GENERATE(errc::unauthorized, errc::invalid_argument);
  auto sup = spawn(strategy::one_for_one, 3, {kid("a"), kid("b")});
  (*self)->monitor(sup);
  expect_up("a", 1);
  expect_up("b", 1);
  (*self)->send(get(sup, "a"), fail_atom::value, static_cast<uint8_t>(code));
  // The supervisor escalates the child's own reason at once, no restart.
  auto s = wire::to_status(wait_down(sup));
  CHECK(s.code() == code);
  CHECK(s.message() == "told to fail");
  bool restarted = false;
  (*self)->receive([&](up_atom, const std::string&, int) { restarted = true; },
                   caf::after(std::chrono::milliseconds(0)) >> [] {});
  CHECK_FALSE(restarted);
}
