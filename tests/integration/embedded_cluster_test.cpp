// lagom::cluster embedded in this test process: the C++ API a host service
// uses. Real actors, real threads; functions registered by the test itself.
#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <stdexcept>
#include <thread>

#include "child_process.hpp"
#include "lagom/lagom.hpp"

using namespace lagom;

namespace {

// A fresh data directory per cluster, kept until the test process ends.
std::string fresh_data_dir() {
  static std::vector<std::unique_ptr<test::temp_dir>> dirs;
  dirs.push_back(std::make_unique<test::temp_dir>());
  return dirs.back()->path();
}

std::unique_ptr<cluster> start(uint32_t nodes, uint32_t cpus, function_registry fns) {
  embedded_options o;
  o.data_dir = fresh_data_dir();
  o.nodes = nodes;
  o.cpus_per_node = cpus;
  o.functions = std::move(fns);
  std::unique_ptr<cluster> c;
  auto st = cluster::start_embedded(o, c);
  INFO(st.to_string());
  REQUIRE(st.is_ok());
  return c;
}

function_registry test_functions() {
  function_registry r;
  r.add("where", [](train_context& ctx) {
    named_values v;
    v.set("node", ctx.node());
    v.set("rank", static_cast<double>(ctx.rank()));
    v.set("world", static_cast<double>(ctx.world_size()));
    v.set("cpus", static_cast<double>(ctx.cpus()));
    v.set("scale", ctx.param("scale", 1.0));
    return v;
  });
  r.add("throw_on_rank_1", [](train_context& ctx) -> named_values {
    if (ctx.rank() == 1)
      throw std::runtime_error("rank 1 refuses");
    return {};
  });
  return r;
}

} // namespace

TEST_CASE("an embedded cluster lists its nodes in order with their resources", "[embedded]") {
  auto c = start(3, 2, test_functions());
  cluster_view v;
  REQUIRE(c->describe(v).is_ok());
  REQUIRE(v.nodes.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(v.nodes[i].name == "node-" + std::to_string(i + 1));
    CHECK(v.nodes[i].cpus == 2);
    CHECK(v.nodes[i].cpus_used == 0);
  }
  CHECK(c->embedded());
}

TEST_CASE("a spread gang gets one rank per node, ranks 0..n-1", "[embedded]") {
  auto c = start(3, 2, test_functions());
  launch_options lo;
  lo.count = 3;
  lo.gang = true;
  lo.spread = true;
  lo.params.set("scale", 2.5);
  std::vector<container_outcome> out;
  REQUIRE(c->launch("where", lo, out).is_ok());
  REQUIRE(out.size() == 3);
  std::set<std::string> nodes;
  for (size_t i = 0; i < out.size(); ++i) {
    INFO(out[i].result.to_string());
    REQUIRE(out[i].result.is_ok());
    CHECK(out[i].rank == i);
    CHECK(out[i].values.number("rank", -1) == i);
    CHECK(out[i].values.number("world", -1) == 3);
    CHECK(out[i].values.number("scale", -1) == 2.5);
    CHECK(out[i].device == "cpu");
    nodes.insert(out[i].values.text("node", ""));
  }
  CHECK(nodes.size() == 3);
  cluster_view v;
  REQUIRE(c->describe(v).is_ok());
  for (auto& n : v.nodes)
    CHECK(n.cpus_used == 0); // released after the launch
}

TEST_CASE("pack fills a node before the next", "[embedded]") {
  auto c = start(2, 4, test_functions());
  launch_options lo;
  lo.count = 3;
  std::vector<container_outcome> out;
  REQUIRE(c->launch("where", lo, out).is_ok());
  REQUIRE(out.size() == 3);
  for (auto& o : out)
    CHECK(o.node == out[0].node);
}

TEST_CASE("launch on all uses every free slot", "[embedded]") {
  auto c = start(2, 3, test_functions());
  launch_options lo;
  lo.all = true;
  std::vector<container_outcome> out;
  REQUIRE(c->launch("where", lo, out).is_ok());
  CHECK(out.size() == 6);
}

TEST_CASE("an infeasible gang is refused with the reason, nothing runs", "[embedded]") {
  auto c = start(2, 2, test_functions());
  launch_options lo;
  lo.count = 5;
  lo.gang = true;
  std::vector<container_outcome> out;
  auto st = c->launch("where", lo, out);
  CHECK(st.code() == errc::infeasible);
  CHECK(st.message().find("5 cpus") != std::string::npos);
  CHECK(out.empty());
}

TEST_CASE("a container larger than every node is refused as infeasible", "[embedded]") {
  auto c = start(2, 2, test_functions());
  launch_options lo;
  lo.cpus = 3;
  std::vector<container_outcome> out;
  CHECK(c->launch("where", lo, out).code() == errc::infeasible);
  lo.cpus = 1;
  lo.gpus = 1;
  CHECK(c->launch("where", lo, out).code() == errc::infeasible); // no GPU here
}

TEST_CASE("an unknown function is refused before any container is granted", "[embedded]") {
  auto c = start(1, 2, test_functions());
  launch_options lo;
  std::vector<container_outcome> out;
  auto st = c->launch("no_such", lo, out);
  CHECK(st.code() == errc::not_found);
  CHECK(st.message().find("unknown function 'no_such' (registered: throw_on_rank_1, where)")
        != std::string::npos);
}

TEST_CASE("a throwing function fails its container only", "[embedded]") {
  auto c = start(1, 3, test_functions());
  launch_options lo;
  lo.count = 3;
  std::vector<container_outcome> out;
  REQUIRE(c->launch("throw_on_rank_1", lo, out).is_ok());
  REQUIRE(out.size() == 3);
  CHECK(out[0].result.is_ok());
  CHECK(out[1].result.code() == errc::function_failed);
  CHECK(out[1].result.message() == "rank 1 refuses");
  CHECK(out[2].result.is_ok());
}

TEST_CASE("a failing rank stops the rest of its gang", "[embedded]") {
  function_registry fns;
  std::atomic<int> stopped{0};
  fns.add("rank1_fails_others_wait", [&](train_context& ctx) -> named_values {
    if (ctx.rank() == 1)
      throw std::runtime_error("rank 1 died");
    // The others wait for the stop request the failed gang triggers.
    while (!ctx.stop_requested())
      std::this_thread::yield();
    ++stopped;
    return {};
  });
  auto c = start(1, 3, fns);
  launch_options lo;
  lo.count = 3;
  lo.gang = true;
  std::vector<container_outcome> out;
  REQUIRE(c->launch("rank1_fails_others_wait", lo, out).is_ok());
  CHECK(out[1].result.code() == errc::function_failed);
  CHECK(stopped == 2);
}

TEST_CASE("an embedded cluster needs a node and a cpu", "[embedded]") {
  embedded_options o;
  o.nodes = 0;
  std::unique_ptr<cluster> c;
  CHECK(cluster::start_embedded(o, c).code() == errc::invalid_argument);
}

TEST_CASE("connect refuses a malformed address and an empty port", "[embedded]") {
  std::unique_ptr<cluster> c;
  CHECK(cluster::connect("localhost", c).code() == errc::invalid_argument);
  CHECK(cluster::connect("127.0.0.1:", c).code() == errc::invalid_argument);
  CHECK(cluster::connect("127.0.0.1:99999", c).code() == errc::invalid_argument);
}

TEST_CASE("a search stores every report of every trial, however quickly trials start",
          "[embedded][search]") {
  function_registry fns;
  fns.add("curve", [](train_context& ctx) {
    named_values m;
    for (uint64_t t = 1; t <= 5; ++t) {
      m.set("score", ctx.param("x", 0.0) * double(t));
      ctx.report(t, m);
    }
    return m;
  });
  auto c = start(1, 2, std::move(fns));
  searchspace space;
  REQUIRE(searchspace::parse("x: double [0, 1]", space).is_ok());
  search_options so;
  so.optimizer = "random";  // its containers ask a trial ahead: trials start at once
  so.num_trials = 40;
  so.metric = "score";
  so.containers = 2;
  so.name = "curves";
  search_watch w;
  w.plot_dir = "-";
  search_result r;
  REQUIRE(c->search("curve", space, so, r, w).is_ok());
  REQUIRE(r.finished == 40);
  for (uint32_t run = 0; run < 40; ++run) {
    std::vector<metric_point> series;
    REQUIRE(c->metric_series("curves", run, "score", series).is_ok());
    INFO("run " << run);
    REQUIRE(series.size() == 5);
    for (uint64_t t = 0; t < 5; ++t)
      CHECK(series[t].step == t + 1);
  }
}
