// cluster::collective_all_reduce embedded in this test process (the C++ API
// face of a data-parallel job): ranks spread over nodes see their rank and
// world and sum with ctx.all_reduce; bad options name the field before
// anything runs; a rank whose function throws fails the job without a
// restart (the others leave their collective within its timeout).
#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>

#include "child_process.hpp"
#include "lagom/lagom.hpp"

using namespace lagom;

namespace {

std::unique_ptr<cluster> start(test::temp_dir& d) {
  embedded_options o;
  o.data_dir = d.path();
  o.nodes = 3;
  o.cpus_per_node = 2;
  function_registry r;
  r.add("sum_ranks", [](train_context& ctx) {
    double v = ctx.rank() + 1.0;
    if (auto st = ctx.all_reduce(&v, 1, true); !st)
      throw std::runtime_error(st.to_string());
    named_values out;
    out.set("sum", v);
    out.set("world", double(ctx.world_size()));
    out.set("node", ctx.node());
    return out;
  });
  r.add("rank_1_throws", [](train_context& ctx) -> named_values {
    if (ctx.rank() == 1)
      throw std::runtime_error("rank 1 refuses");
    double v = 1;
    if (auto st = ctx.all_reduce(&v, 1); !st)
      throw std::runtime_error(st.to_string());
    return {};
  });
  o.functions = std::move(r);
  std::unique_ptr<cluster> c;
  auto st = cluster::start_embedded(o, c);
  INFO(st.to_string());
  REQUIRE(st.is_ok());
  return c;
}

} // namespace

TEST_CASE("collective_all_reduce runs spread ranks that sum over the group", "[ddp][embedded]") {
  test::temp_dir d;
  auto c = start(d);
  collective_options o;
  o.workers = 3;
  o.spread = true;
  std::atomic<int> started{0};
  o.on_progress = [&](const progress_event& ev) { started += ev.kind == progress_event::started; };
  collective_result r;
  auto st = c->collective_all_reduce("sum_ranks", o, r);
  INFO(st.to_string());
  REQUIRE(st.is_ok());
  CHECK(r.world_size == 3);
  CHECK(r.generations == 1);
  CHECK(r.backend == "shm");
  CHECK(started == 3);
  REQUIRE(r.ranks.size() == 3);
  for (uint32_t k = 0; k < 3; ++k) {
    CHECK(r.ranks[k].rank == k);
    CHECK(r.ranks[k].values.number("sum", 0) == 6);
    CHECK(r.ranks[k].values.number("world", 0) == 3);
    CHECK(r.ranks[k].node == "node-" + std::to_string(k + 1)); // spread: one per node
  }
}

TEST_CASE("backend gloo: the ranks meet through the job's rendezvous store", "[ddp][embedded][gloo]") {
  test::temp_dir d;
  auto c = start(d);
  collective_options o;
  o.workers = 3;
  o.spread = true;
  o.backend = "gloo";
  collective_result r;
  auto st = c->collective_all_reduce("sum_ranks", o, r);
  INFO(st.to_string());
  REQUIRE(st.is_ok());
  CHECK(r.backend == "gloo");
  CHECK(r.generations == 1);
  REQUIRE(r.ranks.size() == 3);
  for (uint32_t k = 0; k < 3; ++k)
    CHECK(r.ranks[k].values.number("sum", 0) == 6);
}

TEST_CASE("collective_all_reduce refuses bad options naming the field", "[ddp][embedded]") {
  test::temp_dir d;
  auto c = start(d);
  collective_result r;
  collective_options o;
  o.workers = 0;
  CHECK(c->collective_all_reduce("sum_ranks", o, r).where() == "workers");
  o.workers = 2;
  o.bucket_mb = -1;
  CHECK(c->collective_all_reduce("sum_ranks", o, r).where() == "bucket_mb");
  o.bucket_mb = 25;
  o.min_workers = 3;
  CHECK(c->collective_all_reduce("sum_ranks", o, r).where() == "min_workers");
  o.min_workers = 0;
  o.gpus = 1;
  CHECK(c->collective_all_reduce("sum_ranks", o, r).where() == "gpus");
  o.gpus = 0;
  o.workers = 7;
  CHECK(c->collective_all_reduce("sum_ranks", o, r).where() == "workers");
  o.workers = 2;
  o.backend = "mpi";
  CHECK(c->collective_all_reduce("sum_ranks", o, r).where() == "backend");
  std::vector<experiment_view> ex;
  REQUIRE(c->list_experiments(ex).is_ok());
  CHECK(ex.empty()); // nothing recorded
}

TEST_CASE("a rank's own exception fails the job without a new generation", "[ddp][embedded]") {
  test::temp_dir d;
  auto c = start(d);
  collective_options o;
  o.workers = 2;
  o.collective_timeout = std::chrono::milliseconds(1000);
  collective_result r;
  auto st = c->collective_all_reduce("rank_1_throws", o, r);
  INFO(st.to_string());
  CHECK(st.code() == errc::function_failed);
  CHECK(st.message() == "rank 1 refuses");
  CHECK(r.generations == 1);
}
