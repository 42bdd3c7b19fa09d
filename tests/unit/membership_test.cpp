// membership: node incarnations, their epochs and the fence (DESIGN.md 3).
#include <catch2/catch.hpp>

#include "supervision/membership.hpp"

using lagom::errc;
using lagom::supervision::membership;

TEST_CASE("each join gets a fresh epoch carrying the head incarnation") {
  membership m(77);
  auto a = m.admit("node-a");
  auto b = m.admit("node-b");
  auto a2 = m.admit("node-a");
  CHECK(a != b);
  CHECK(a2 != a);
  CHECK((a >> 32) == 77);
  CHECK((b >> 32) == 77);
  CHECK(m.live(a));
  CHECK(m.live(a2));
  CHECK_FALSE(m.fenced(a));
}

TEST_CASE("a fenced epoch stays fenced and its writes are refused naming why") {
  membership m(5);
  auto a = m.admit("node-a");
  auto b = m.admit("node-b");
  m.fence(a, "no heartbeat for 1000 ms");
  CHECK(m.fenced(a));
  CHECK_FALSE(m.live(a));
  CHECK(m.live(b));
  auto st = m.admit_write(a, "checkpointer: save");
  REQUIRE_FALSE(st);
  CHECK(st.code() == errc::fenced);
  CHECK(st.where() == "checkpointer: save");
  CHECK(st.message().find("node-a") != std::string::npos);
  CHECK(st.message().find("no heartbeat for 1000 ms") != std::string::npos);
  CHECK(m.admit_write(b, "checkpointer: save").is_ok());
  // Fencing again keeps the first reason; a new incarnation is live.
  m.fence(a, "left");
  CHECK(m.why_not_live(a).find("no heartbeat") != std::string::npos);
  auto a2 = m.admit("node-a");
  CHECK(m.admit_write(a2, "registry: metrics").is_ok());
  CHECK(m.fenced_count() == 1);
}

TEST_CASE("epoch 0 (a driver or the head) may always write") {
  membership m(1);
  CHECK(m.admit_write(0, "log_aggregator: log").is_ok());
}

TEST_CASE("an epoch of an earlier head incarnation is refused as unknown") {
  membership old_head(10);
  auto stale = old_head.admit("node-a");
  membership head(11);
  head.admit("node-a");
  auto st = head.admit_write(stale, "registry: metrics");
  REQUIRE_FALSE(st);
  CHECK(st.code() == errc::fenced);
  CHECK(st.message().find("not issued by this head") != std::string::npos);
  CHECK_FALSE(head.live(stale));
  CHECK_FALSE(head.fenced(stale));
  // Fencing an unknown epoch changes nothing.
  head.fence(stale, "x");
  CHECK(head.fenced_count() == 0);
}

TEST_CASE("incarnation 0 is replaced so that no epoch is 0") {
  membership m(0);
  CHECK(m.incarnation() == 1);
  CHECK(m.admit("n") != 0);
}
