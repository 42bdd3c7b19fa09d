// scheduling::ledger: placement, gangs, the FIFO queue, GPUs, node loss.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "scheduling/ledger.hpp"

using namespace lagom;
using namespace lagom::scheduling;

namespace {

node_spec node(uint32_t id, uint32_t cpus, uint64_t memory_mb = 65536,
               std::vector<uint32_t> gpus = {}) {
  node_spec n;
  n.id = id;
  n.name = "n" + std::to_string(id);
  n.capacity = {cpus, memory_mb, static_cast<uint32_t>(gpus.size())};
  n.gpu_ordinals = std::move(gpus);
  return n;
}

request ask(uint64_t id, uint32_t count, uint32_t cpus, uint64_t memory_mb = 0,
            uint32_t gpus = 0) {
  request r;
  r.id = id;
  r.owner = "job" + std::to_string(id);
  r.count = count;
  r.each = {cpus, memory_mb, gpus};
  return r;
}

request gang(request r) {
  r.gang = true;
  return r;
}

request spread(request r) {
  r.place = placement::spread;
  return r;
}

request queued(request r) {
  r.queue = true;
  return r;
}

ledger with_nodes(std::vector<node_spec> specs) {
  ledger l;
  for (const auto& s : specs)
    REQUIRE(l.add_node(s).is_ok());
  return l;
}

std::vector<uint32_t> nodes_of(const grant& g) {
  std::vector<uint32_t> out;
  for (const auto& c : g.containers)
    out.push_back(c.node_id);
  return out;
}

std::vector<uint64_t> ids_of(const grant& g) {
  std::vector<uint64_t> out;
  for (const auto& c : g.containers)
    out.push_back(c.id);
  return out;
}

// Grants `r` or fails the test.
grant must_grant(ledger& l, const request& r) {
  outcome o = l.submit(r);
  INFO(o.why.to_string());
  REQUIRE(o.what == outcome::granted);
  return o.granted_containers;
}

} // namespace

TEST_CASE("pack puts a container on the fitting node with the fewest free cpus", "[ledger]") {
  auto l = with_nodes({node(1, 8), node(2, 4), node(3, 6)});
  CHECK(nodes_of(must_grant(l, ask(1, 1, 3))) == std::vector<uint32_t>{2});
  // Node 2 has 1 cpu left, too few; node 3 (6) is a tighter fit than node 1 (8).
  CHECK(nodes_of(must_grant(l, ask(2, 1, 2))) == std::vector<uint32_t>{3});
}

TEST_CASE("pack fills one node before starting the next", "[ledger]") {
  auto l = with_nodes({node(1, 4), node(2, 4)});
  CHECK(nodes_of(must_grant(l, ask(1, 3, 2))) == std::vector<uint32_t>{1, 1, 2});
}

TEST_CASE("spread puts containers on different nodes, most free cpus first", "[ledger]") {
  auto l = with_nodes({node(1, 4), node(2, 8), node(3, 6)});
  CHECK(nodes_of(must_grant(l, spread(ask(1, 4, 1)))) == std::vector<uint32_t>{2, 3, 1, 2});
}

TEST_CASE("spread counts only this request's containers, not others'", "[ledger]") {
  auto l = with_nodes({node(1, 8), node(2, 8)});
  must_grant(l, ask(1, 2, 1));  // packs both on node 1
  // Node 1 has fewer free cpus but none of request 2, as does node 2: most free wins.
  CHECK(nodes_of(must_grant(l, spread(ask(2, 2, 1)))) == std::vector<uint32_t>{2, 1});
}

TEST_CASE("ties between equal nodes go to the lower node id", "[ledger]") {
  auto l = with_nodes({node(3, 4), node(1, 4), node(2, 4)});
  CHECK(nodes_of(must_grant(l, ask(1, 1, 1))) == std::vector<uint32_t>{1});
  auto l2 = with_nodes({node(3, 4), node(1, 4), node(2, 4)});
  CHECK(nodes_of(must_grant(l2, spread(ask(1, 3, 1)))) == std::vector<uint32_t>{1, 2, 3});
}

TEST_CASE("a gang spanning two nodes is granted whole", "[ledger]") {
  auto l = with_nodes({node(1, 4), node(2, 4)});
  grant g = must_grant(l, gang(ask(7, 2, 3)));
  CHECK(g.request_id == 7);
  CHECK(nodes_of(g) == std::vector<uint32_t>{1, 2});
  CHECK(l.free_on(1).cpus == 1);
  CHECK(l.free_on(2).cpus == 1);
  for (const auto& c : g.containers) {
    CHECK(c.owner == "job7");
    CHECK(c.request_id == 7);
    CHECK(c.node_name == "n" + std::to_string(c.node_id));
  }
}

TEST_CASE("a gang that does not fit now gets nothing and leaves the ledger unchanged",
          "[ledger]") {
  auto l = with_nodes({node(1, 4), node(2, 4)});
  grant first = must_grant(l, ask(1, 1, 2));  // node 1: 2 free, node 2: 4 free

  outcome short_total = l.submit(gang(ask(2, 2, 4)));
  CHECK(short_total.what == outcome::rejected);
  CHECK(short_total.why.code() == errc::unavailable);
  CHECK(short_total.why.message() == "needs 8 cpus in a gang, 6 free");
  CHECK(short_total.why.where() == "request 2");

  outcome fragmented = l.submit(gang(ask(3, 2, 3)));  // 6 cpus needed, 6 free, 3 + 3 split 2 + 4
  CHECK(fragmented.what == outcome::rejected);
  CHECK(fragmented.why.code() == errc::unavailable);
  CHECK(fragmented.why.message() == "a gang of 2 fits only 1 now");

  CHECK(l.containers().size() == 1);
  CHECK(l.free_on(1).cpus == 2);
  CHECK(l.free_on(2).cpus == 4);
  CHECK(l.nodes().at(2).containers == 0);
  CHECK(l.queued() == 0);
  // No container id was spent on the failed gangs.
  CHECK(ids_of(must_grant(l, ask(4, 1, 1))) == std::vector<uint64_t>{first.containers[0].id + 1});
}

TEST_CASE("a non-gang request gets as many containers as fit now", "[ledger]") {
  auto l = with_nodes({node(1, 4), node(2, 3)});
  grant g = must_grant(l, ask(1, 5, 2));
  CHECK(g.containers.size() == 3);
  CHECK(l.queued() == 0);
  CHECK(l.free_on(1).cpus == 0);
  CHECK(l.free_on(2).cpus == 1);
}

TEST_CASE("queued requests are granted in FIFO order on release, the head blocking the rest",
          "[ledger]") {
  auto l = with_nodes({node(1, 6)});
  grant a = must_grant(l, ask(1, 1, 5));

  outcome b = l.submit(queued(gang(ask(2, 2, 2))));
  CHECK(b.what == outcome::queued);
  CHECK(b.why.code() == errc::unavailable);
  CHECK(b.why.message() == "needs 4 cpus in a gang, 1 free");

  // Request 3 would fit now, but it may not overtake the gang ahead of it.
  outcome c = l.submit(queued(ask(3, 1, 1)));
  CHECK(c.what == outcome::queued);
  CHECK(c.why.message() == "a queued request is ahead of it");
  CHECK(l.queued() == 2);
  CHECK(l.retry().empty());
  CHECK(l.free_on(1).cpus == 1);

  REQUIRE(l.release(ids_of(a)).is_ok());
  std::vector<grant> granted = l.retry();
  REQUIRE(granted.size() == 2);
  CHECK(granted[0].request_id == 2);
  CHECK(granted[0].containers.size() == 2);
  CHECK(granted[1].request_id == 3);
  CHECK(l.queued() == 0);
  CHECK(l.free_on(1).cpus == 1);
}

TEST_CASE("a request that does not ask to queue is rejected as unavailable when full",
          "[ledger]") {
  auto l = with_nodes({node(1, 4), node(2, 4)});
  must_grant(l, ask(1, 2, 3));
  outcome o = l.submit(ask(2, 1, 2));
  CHECK(o.what == outcome::rejected);
  CHECK(o.why.code() == errc::unavailable);
  CHECK(o.why.message() == "each container asks 2 cpus; the most free on a node is 1");
  CHECK(l.queued() == 0);
}

TEST_CASE("a request that does not ask to queue is unavailable while others wait", "[ledger]") {
  auto l = with_nodes({node(1, 4)});
  must_grant(l, ask(1, 1, 3));
  REQUIRE(l.submit(queued(ask(2, 1, 4))).what == outcome::queued);
  REQUIRE(l.submit(queued(ask(3, 1, 4))).what == outcome::queued);
  outcome o = l.submit(ask(4, 1, 1));
  CHECK(o.what == outcome::rejected);
  CHECK(o.why.code() == errc::unavailable);
  CHECK(o.why.message() == "2 queued requests are ahead of it");
  CHECK(l.queued() == 2);
}

TEST_CASE("a container larger than every node is infeasible and never queued", "[ledger]") {
  auto l = with_nodes({node(1, 8), node(2, 4)});
  outcome o = l.submit(queued(ask(1, 1, 16)));
  CHECK(o.what == outcome::rejected);
  CHECK(o.why.code() == errc::infeasible);
  CHECK(o.why.message() == "each container asks 16 cpus; the largest node has 8");
  CHECK(o.why.where() == "request 1");
  CHECK(l.queued() == 0);
}

TEST_CASE("a gang larger than the whole cluster is infeasible", "[ledger]") {
  auto l = with_nodes({node(1, 8), node(2, 8)});
  outcome o = l.submit(queued(gang(ask(1, 3, 8))));
  CHECK(o.what == outcome::rejected);
  CHECK(o.why.code() == errc::infeasible);
  CHECK(o.why.message() == "needs 24 cpus in a gang, 16 in the cluster");
  CHECK(l.queued() == 0);
}

TEST_CASE("a gang that cannot be cut to fit the empty nodes is infeasible", "[ledger]") {
  auto l = with_nodes({node(1, 5), node(2, 5)});
  outcome o = l.submit(gang(ask(1, 3, 3)));  // 9 of 10 cpus, but 3 + 3 fits once per node
  CHECK(o.why.code() == errc::infeasible);
  CHECK(o.why.message() == "a gang of 3 fits at most 2 even on the empty cluster");
}

TEST_CASE("asking more gpus than any node has is infeasible", "[ledger]") {
  auto l = with_nodes({node(1, 16, 65536, {0}), node(2, 16)});
  outcome o = l.submit(ask(1, 1, 1, 0, 4));
  CHECK(o.why.code() == errc::infeasible);
  CHECK(o.why.message() == "each container asks 4 gpus; the largest node has 1");
}

TEST_CASE("a container needing more than one node's mix of resources is infeasible",
          "[ledger]") {
  auto l = with_nodes({node(1, 16, 1024), node(2, 2, 65536)});
  outcome o = l.submit(ask(1, 1, 8, 4096));
  CHECK(o.why.code() == errc::infeasible);
  CHECK(o.why.message() ==
        "each container asks 8 cpus, 4096 MB, 0 gpus; no node has all of them");
}

TEST_CASE("a request to a cluster with no nodes is infeasible", "[ledger]") {
  ledger l;
  outcome o = l.submit(queued(ask(1, 1, 1)));
  CHECK(o.why.code() == errc::infeasible);
  CHECK(o.why.message() == "the cluster has no nodes");
  CHECK(l.queued() == 0);
}

TEST_CASE("memory is booked, checked and freed like cpus", "[ledger]") {
  auto l = with_nodes({node(1, 8, 4096)});

  outcome too_big = l.submit(ask(1, 1, 1, 8192));
  CHECK(too_big.why.code() == errc::infeasible);
  CHECK(too_big.why.message() == "each container asks 8192 MB of memory; the largest node has 4096 MB");

  grant g = must_grant(l, ask(2, 3, 1, 2048));  // memory, not cpus, limits it to 2
  CHECK(g.containers.size() == 2);
  CHECK(g.containers[0].memory_mb == 2048);
  CHECK(l.free_on(1).memory_mb == 0);
  CHECK(l.free_on(1).cpus == 6);
  CHECK(l.nodes().at(1).used.memory_mb == 4096);

  outcome none = l.submit(ask(3, 1, 1, 1));
  CHECK(none.why.code() == errc::unavailable);
  CHECK(none.why.message() == "each container asks 1 MB of memory; the most free on a node is 0 MB");
  outcome none_gang = l.submit(gang(ask(4, 2, 1, 1024)));
  CHECK(none_gang.why.message() == "needs 2048 MB of memory in a gang, 0 MB free");

  must_grant(l, ask(5, 1, 1));  // a container asking no memory still fits

  REQUIRE(l.release(ids_of(g)).is_ok());
  CHECK(l.free_on(1).memory_mb == 4096);
}

TEST_CASE("gpu ordinals are handed out lowest free first and come back on release",
          "[ledger]") {
  auto l = with_nodes({node(1, 16, 65536, {3, 1, 0, 2})});
  grant two = must_grant(l, ask(1, 1, 1, 0, 2));
  CHECK(two.containers[0].gpu_ids == std::vector<uint32_t>{0, 1});
  grant one = must_grant(l, ask(2, 1, 1, 0, 1));
  CHECK(one.containers[0].gpu_ids == std::vector<uint32_t>{2});
  CHECK(l.free_on(1).gpus == 1);
  CHECK(l.nodes().at(1).used.gpus == 3);

  outcome none = l.submit(ask(3, 1, 1, 0, 2));
  CHECK(none.why.code() == errc::unavailable);
  CHECK(none.why.message() == "each container asks 2 gpus; the most free on a node is 1");

  REQUIRE(l.release(ids_of(two)).is_ok());
  CHECK(l.nodes().at(1).free_gpus == std::vector<uint32_t>{0, 1, 3});
  grant again = must_grant(l, ask(4, 1, 1, 0, 2));
  CHECK(again.containers[0].gpu_ids == std::vector<uint32_t>{0, 1});
}

TEST_CASE("a gpu gang takes whole gpus on each node it spans", "[ledger]") {
  auto l = with_nodes({node(1, 8, 65536, {0, 1}), node(2, 8, 65536, {0, 1}), node(3, 8)});
  grant g = must_grant(l, gang(ask(1, 4, 1, 0, 1)));
  CHECK(nodes_of(g) == std::vector<uint32_t>{1, 1, 2, 2});
  CHECK(g.containers[0].gpu_ids == std::vector<uint32_t>{0});
  CHECK(g.containers[1].gpu_ids == std::vector<uint32_t>{1});
  CHECK(g.containers[2].gpu_ids == std::vector<uint32_t>{0});
  outcome o = l.submit(gang(ask(2, 2, 1, 0, 1)));
  CHECK(o.why.code() == errc::unavailable);
  CHECK(o.why.message() == "needs 2 gpus in a gang, 0 free");
}

TEST_CASE("removing a node returns its containers and frees them", "[ledger]") {
  auto l = with_nodes({node(1, 4), node(2, 4)});
  grant g = must_grant(l, spread(ask(1, 4, 1)));  // two on each node
  std::vector<container> lost = l.remove_node(1);
  REQUIRE(lost.size() == 2);
  for (const auto& c : lost) {
    CHECK(c.node_id == 1);
    CHECK(c.request_id == 1);
    CHECK(l.containers().count(c.id) == 0);
  }
  CHECK(l.containers().size() == 2);
  CHECK(l.nodes().count(1) == 0);
  CHECK(l.free_on(1).cpus == 0);
  CHECK(l.remove_node(1).empty());
  CHECK(l.remove_node(99).empty());
  // Releasing the lost containers later is harmless: they are reported unknown.
  CHECK(l.release({lost[0].id}).code() == errc::not_found);
  CHECK(l.free_on(2).cpus == 2);
}

TEST_CASE("after a node leaves, retry drops queued requests that became infeasible and "
          "grants those behind them",
          "[ledger]") {
  auto l = with_nodes({node(1, 8), node(2, 4)});
  must_grant(l, ask(1, 1, 2));  // best fit: node 2
  must_grant(l, ask(2, 1, 8));  // node 1
  REQUIRE(l.submit(queued(ask(3, 1, 8))).what == outcome::queued);  // only node 1 could
  REQUIRE(l.submit(queued(ask(4, 1, 2))).what == outcome::queued);  // blocked behind 3

  std::vector<container> lost = l.remove_node(1);
  REQUIRE(lost.size() == 1);
  CHECK(lost[0].request_id == 2);

  std::vector<std::pair<request, status>> dropped;
  std::vector<grant> granted = l.retry(&dropped);
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0].first.id == 3);
  CHECK(dropped[0].second.code() == errc::infeasible);
  CHECK(dropped[0].second.message() == "each container asks 8 cpus; the largest node has 4");
  REQUIRE(granted.size() == 1);
  CHECK(granted[0].request_id == 4);
  CHECK(nodes_of(granted[0]) == std::vector<uint32_t>{2});
  CHECK(l.queued() == 0);
}

TEST_CASE("a queued request is granted on a node that joins later", "[ledger]") {
  auto l = with_nodes({node(1, 4)});
  must_grant(l, ask(1, 1, 4));
  REQUIRE(l.submit(queued(ask(2, 1, 4))).what == outcome::queued);
  REQUIRE(l.add_node(node(2, 4)).is_ok());
  std::vector<grant> granted = l.retry();
  REQUIRE(granted.size() == 1);
  CHECK(nodes_of(granted[0]) == std::vector<uint32_t>{2});
}

TEST_CASE("releasing an unknown id reports not_found but still frees the known ones",
          "[ledger]") {
  auto l = with_nodes({node(1, 4)});
  grant g = must_grant(l, ask(1, 2, 2));
  status s = l.release({g.containers[0].id, 999, g.containers[1].id, 1000});
  CHECK(s.code() == errc::not_found);
  CHECK(s.message() == "no container 999 is granted (2 ids unknown)");
  CHECK(l.containers().empty());
  CHECK(l.free_on(1).cpus == 4);
  CHECK(l.nodes().at(1).containers == 0);
}

TEST_CASE("container ids are never reused", "[ledger]") {
  auto l = with_nodes({node(1, 4)});
  grant a = must_grant(l, ask(1, 2, 2));
  REQUIRE(l.release(ids_of(a)).is_ok());
  grant b = must_grant(l, ask(2, 2, 2));
  CHECK(b.containers[0].id > a.containers[1].id);
  CHECK(b.containers[1].id > b.containers[0].id);
}

TEST_CASE("a duplicate node id or name, or a gpu list that disagrees, is rejected",
          "[ledger]") {
  ledger l;
  REQUIRE(l.add_node(node(1, 4)).is_ok());

  status same_id = l.add_node(node(1, 8));
  CHECK(same_id.code() == errc::invalid_argument);
  CHECK(same_id.message() == "duplicate node id");

  node_spec same_name = node(2, 4);
  same_name.name = "n1";
  status s = l.add_node(same_name);
  CHECK(s.code() == errc::invalid_argument);
  CHECK(s.message() == "duplicate node name 'n1' (node 1)");

  node_spec bad_gpus = node(3, 4, 1024, {0, 1});
  bad_gpus.capacity.gpus = 3;
  CHECK(l.add_node(bad_gpus).message() == "capacity says 3 gpus but 2 ordinals are listed");
  CHECK(l.add_node(node(4, 4, 1024, {0, 0})).code() == errc::invalid_argument);
  CHECK(l.nodes().size() == 1);
}

TEST_CASE("a request for zero containers, zero cpus or a used id is invalid", "[ledger]") {
  auto l = with_nodes({node(1, 4)});
  outcome none = l.submit(queued(ask(1, 0, 1)));
  CHECK(none.why.code() == errc::invalid_argument);
  CHECK(none.why.message() == "count is 0");
  CHECK(l.submit(ask(2, 1, 0)).why.code() == errc::invalid_argument);
  CHECK(l.queued() == 0);

  must_grant(l, ask(3, 1, 4));
  CHECK(l.submit(ask(3, 1, 1)).why.message() == "request id already in use");
  REQUIRE(l.submit(queued(ask(4, 1, 1))).what == outcome::queued);
  CHECK(l.submit(queued(ask(4, 1, 1))).why.code() == errc::invalid_argument);
  CHECK(l.queued() == 1);
}

TEST_CASE("cancel_queued removes only that owner's waiting requests", "[ledger]") {
  auto l = with_nodes({node(1, 2)});
  must_grant(l, ask(1, 1, 2));
  request a = queued(ask(2, 1, 1)), b = queued(ask(3, 1, 1)), c = queued(ask(4, 1, 1));
  a.owner = c.owner = "alice";
  b.owner = "bob";
  for (const auto& r : {a, b, c})
    REQUIRE(l.submit(r).what == outcome::queued);
  CHECK(l.cancel_queued("alice") == 2);
  CHECK(l.cancel_queued("carol") == 0);
  CHECK(l.queued() == 1);
}
