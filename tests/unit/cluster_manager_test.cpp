// cluster_manager's join door, in one process: a join whose sender CAF
// could not resolve (what a partitioned node's reconnect once delivered
// while the head still held its old connection) is refused and the head
// goes on, where it used to watch a null handle and crash; a join with a
// sender is admitted.
#include <catch2/catch.hpp>

#include "actor_env.hpp"
#include "actors/cluster_manager.hpp"
#include "schemas/cluster.capnp.h"
#include "wire/atoms.hpp"
#include "wire/read.hpp"

using namespace lagom;

namespace {

wire::frame join_frame(const std::string& name) {
  return wire::build<schema::NodeRegistration>([&](schema::NodeRegistration::Builder b) {
    b.setName(name);
    b.setToken("tok");
    b.setHost("10.0.0.9");
    b.setPid(4321);
    auto cap = b.initCapacity();
    cap.setCpus(2);
    cap.setMemoryMb(1024);
  });
}

size_t joined_nodes(test::actor_env& env, const caf::actor& cm) {
  wire::frame reply;
  REQUIRE(env.ask(cm, reply, atoms::status::value,
                  wire::build<schema::StatusRequest>([](auto) {}))
            .is_ok());
  size_t n = 0;
  REQUIRE(wire::read<schema::ClusterStatus>(reply, [&](schema::ClusterStatus::Reader r) {
            n = r.getNodes().size();
            return status::ok();
          }).is_ok());
  return n;
}

} // namespace

TEST_CASE("a join without a sender is refused and the head goes on", "[cluster][fault]") {
  test::actor_env env;
  actors::cluster_options o;
  o.token = "tok";
  auto cm = env.keep(actors::spawn_cluster_manager(env.sys(), o));
  // No sender: nothing to watch or answer. (The mailbox is FIFO: the status
  // request below is handled after it.)
  caf::anon_send(cm, atoms::join::value, join_frame("n-anon"));
  CHECK(joined_nodes(env, cm) == 0);
  // The same registration with a sender joins (and stays while it lives:
  // the head watches it).
  caf::scoped_actor node{env.sys()};
  uint32_t id = 0;
  std::string why = "no answer";
  node->request(cm, std::chrono::seconds(10), atoms::join::value, join_frame("n-anon"))
    .receive(
      [&](const wire::frame& f) {
        why = wire::read<schema::NodeAccepted>(f, [&](schema::NodeAccepted::Reader r) {
                id = r.getNodeId();
                return status::ok();
              }).to_string();
      },
      [&](caf::error& e) { why = wire::to_status(e).to_string(); });
  INFO(why);
  CHECK(id > 0);
  CHECK(joined_nodes(env, cm) == 1);
}
