// ddp::trial_gang: how the ranks' ends of a data-parallel search trial become
// the trial's end (one scenario per test).
#include <catch2/catch.hpp>

#include "ddp/trial_gang.hpp"

using namespace lagom;
using namespace lagom::ddp;
using end = trial_gang::end;

namespace {
named_values accuracy(double a) {
  named_values v;
  v.set("accuracy", a);
  return v;
}
status lost(uint32_t rank) {
  return status::error(errc::container_lost, "worker process killed by signal 9",
                       "rank " + std::to_string(rank));
}
} // namespace

TEST_CASE("a trial ends when every rank returned, with rank 0's values", "[ddp][search]") {
  trial_gang g("mlp search", 2);
  CHECK(g.group_job(7) == "mlp_search-t7");
  g.start(7, 1);
  CHECK(g.rank_done(1, 7, 1, status::ok(), accuracy(0.5), 10) == end::wait);
  CHECK(g.running());
  CHECK(g.rank_done(0, 7, 1, status::ok(), accuracy(0.8), 12) == end::finished);
  CHECK_FALSE(g.running());
  CHECK(g.values().number("accuracy", 0) == 0.8);
  CHECK(g.elapsed_ms() == 12);
}

TEST_CASE("a lost rank loses the trial at once, and later ends are stale", "[ddp][search]") {
  trial_gang g("s", 3);
  g.start(2, 1);
  CHECK(g.rank_done(2, 2, 1, lost(2), {}, 0) == end::lost);
  CHECK(g.why().code() == errc::container_lost);
  CHECK(g.rank_done(0, 2, 1, status::ok(), accuracy(1), 1) == end::stale);
  // the retry is the next attempt: a new generation that ends on its own
  g.start(2, 2);
  CHECK(g.rank_done(0, 2, 1, status::ok(), accuracy(1), 1) == end::stale);
  CHECK(g.rank_done(0, 2, 2, status::ok(), accuracy(1), 1) == end::wait);
  CHECK(g.rank_done(1, 2, 2, status::ok(), {}, 1) == end::wait);
  CHECK(g.rank_done(2, 2, 2, status::ok(), {}, 1) == end::finished);
}

TEST_CASE("a rank's own error fails the trial without a retry", "[ddp][search]") {
  trial_gang g("s", 2);
  g.start(0, 1);
  auto own = status::error(errc::function_failed, "nan loss", "fashion_mnist_mlp");
  CHECK(g.rank_done(1, 0, 1, own, {}, 0) == end::failed);
  CHECK(g.why().message() == "nan loss");
  // the last rank failing after the others returned: failed as well
  g.start(1, 1);
  CHECK(g.rank_done(0, 1, 1, status::ok(), accuracy(1), 1) == end::wait);
  CHECK(g.rank_done(1, 1, 1, own, {}, 0) == end::failed);
  // and a lost last rank: lost (retried)
  g.start(3, 1);
  CHECK(g.rank_done(1, 3, 1, status::ok(), {}, 1) == end::wait);
  CHECK(g.rank_done(0, 3, 1, lost(0), {}, 0) == end::lost);
}

TEST_CASE("an end of a rank outside the gang is stale", "[ddp][search]") {
  trial_gang g("s", 2);
  CHECK(g.rank_done(0, 0, 1, status::ok(), {}, 0) == end::stale); // nothing started
  g.start(0, 1);
  CHECK(g.rank_done(2, 0, 1, status::ok(), {}, 0) == end::stale);
}
