// rendezvous_store through its client: blocking get, write-once keys, bounded
// timeouts naming the key, and Gloo groups that rendezvous through it — two
// threads of one process, and two forked processes reaching the actor
// across loopback TCP (CAF's middleman).
#include <catch2/catch.hpp>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <thread>

#include "actors/rendezvous_store.hpp"
#include "collective/gloo_communicator.hpp"
#include "collective_checks.hpp"
#include "wire/configure.hpp"

using namespace lagom;
using namespace std::chrono_literals;

namespace {

struct env {
  env() {
    wire::configure(cfg);
    cfg.load<caf::io::middleman>();
    sys = std::make_unique<caf::actor_system>(cfg);
    store = actors::spawn_rendezvous_store(*sys);
  }
  ~env() {
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
    store = nullptr;
    sys.reset();
  }
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor store;
};

/// Two ranks all-reduce 1001 floats through make_gloo with `kv`; 0 when right.
int gloo_rank(std::shared_ptr<collective::kv_store> kv, const std::string& job, uint32_t r) {
  status st;
  auto comm = collective::make_gloo(test::group_for(job, r, 2), std::move(kv), st);
  if (!comm) return test::report(st, "make_gloo");
  std::vector<float> data(1001);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = test::rank_value<float>(r, i);
  if (auto s = comm->all_reduce(data.data(), data.size(), collective::dtype::float32,
                                collective::reduce_op::sum); !s)
    return test::report(s, "all_reduce");
  return test::check_reduced(data, 2, false, "all_reduce");
}

} // namespace

TEST_CASE("rendezvous_store: a get waits for the set, keys are write-once", "[rendezvous_store]") {
  env e;
  auto kv = actors::make_rendezvous_store_client(*e.sys, e.store);
  std::vector<char> got;
  std::thread setter([&] { CHECK(kv->set("job.1/rank_1", {'a', 'b', 'c'}).is_ok()); });
  REQUIRE(kv->get("job.1/rank_1", 5000ms, got).is_ok());
  setter.join();
  CHECK(got == std::vector<char>{'a', 'b', 'c'});
  REQUIRE(kv->get("job.1/rank_1", 0ms, got).is_ok());  // present: no wait needed
  auto st = kv->set("job.1/rank_1", {'x'});
  CHECK(st.code() == errc::invalid_argument);
  CHECK_THAT(st.to_string(), Catch::Contains("job.1/rank_1"));
}

TEST_CASE("rendezvous_store: a get for a key never set times out naming it", "[rendezvous_store]") {
  env e;
  auto kv = actors::make_rendezvous_store_client(*e.sys, e.store);
  std::vector<char> got;
  auto t0 = std::chrono::steady_clock::now();
  auto st = kv->get("job.1/never", 100ms, got);
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);
  CHECK(st.code() == errc::timeout);
  CHECK_THAT(st.to_string(), Catch::Contains("job.1/never"));
  st = kv->wait({"job.1/never"}, 50ms);
  CHECK(st.code() == errc::timeout);
}

TEST_CASE("rendezvous_store: a dead store is a bounded error, not a hang", "[rendezvous_store]") {
  env e;
  auto kv = actors::make_rendezvous_store_client(*e.sys, e.store, 200ms);
  caf::anon_send_exit(e.store, caf::exit_reason::kill);
  std::vector<char> got;
  auto t0 = std::chrono::steady_clock::now();
  auto st = kv->get("k", 100ms, got);
  CHECK_FALSE(st.is_ok());
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);
}

TEST_CASE("rendezvous_store: two Gloo ranks in threads rendezvous through it", "[rendezvous_store]") {
  env e;
  auto job = test::unique_job("rzthreads");
  int codes[2] = {-1, -1};
  std::thread t0([&] { codes[0] = gloo_rank(actors::make_rendezvous_store_client(*e.sys, e.store), job, 0); });
  std::thread t1([&] { codes[1] = gloo_rank(actors::make_rendezvous_store_client(*e.sys, e.store), job, 1); });
  t0.join();
  t1.join();
  CHECK(codes[0] == 0);
  CHECK(codes[1] == 0);
}

TEST_CASE("rendezvous_store: two Gloo ranks in other processes reach it over TCP", "[rendezvous_store]") {
  int port_pipe[2];
  REQUIRE(::pipe(port_pipe) == 0);
  auto job = test::unique_job("rzprocs");
  std::unique_ptr<env> parent;
  auto res = test::run_ranks(
    2,
    [&](uint32_t r) -> int {
      ::close(port_pipe[1]);
      uint16_t port = 0;
      if (::read(port_pipe[0], &port, sizeof port) != sizeof port) return 20;
      caf::actor_system_config cfg;
      wire::configure(cfg);
      cfg.load<caf::io::middleman>();
      caf::actor_system sys{cfg};
      auto store = sys.middleman().remote_actor("127.0.0.1", port);
      if (!store) return 21;
      int code = gloo_rank(actors::make_rendezvous_store_client(sys, *store), job, r);
      return code;
    },
    20000ms,
    [&](const std::vector<pid_t>&) {
      // The children are forked before this process starts CAF's threads.
      parent = std::make_unique<env>();
      auto port = parent->sys->middleman().publish(parent->store, 0, "127.0.0.1", true);
      uint16_t p = port ? *port : 0;
      for (int i = 0; i < 2; ++i)
        if (::write(port_pipe[1], &p, sizeof p) != sizeof p) break;
      ::close(port_pipe[1]);
      ::close(port_pipe[0]);
    });
  CHECK(test::all_exited_ok(res));
  parent.reset();
}

// NCCL's rendezvous: rank 0's ncclUniqueId (128 opaque bytes, zeros and 0xff
// among them) set under "<job>.<generation>/nccl_id" as make_nccl does, read
// by another rank through its own client: each crossing is a Cap'n Proto
// StoreSet / StoreGet / StoreValue frame to the actor and back.
TEST_CASE("rendezvous_store: a 128-byte nccl unique id travels whole through the actor",
          "[rendezvous_store][nccl]") {
  env e;
  auto rank0 = collective::make_prefixed_store(actors::make_rendezvous_store_client(*e.sys, e.store),
                                               "job.2");
  auto rank1 = collective::make_prefixed_store(actors::make_rendezvous_store_client(*e.sys, e.store),
                                               "job.2");
  std::vector<char> id(128);
  for (std::size_t i = 0; i < id.size(); ++i)
    id[i] = static_cast<char>(i % 3 == 0 ? 0 : 255 - i);
  std::vector<char> got;
  std::thread reader([&] { CHECK(rank1->get("nccl_id", 5000ms, got).is_ok()); });
  REQUIRE(rank0->set("nccl_id", id).is_ok());
  reader.join();
  CHECK(got == id);
  // a later generation's prefix does not see it
  auto next = collective::make_prefixed_store(actors::make_rendezvous_store_client(*e.sys, e.store),
                                              "job.3");
  CHECK(next->get("nccl_id", 50ms, got).code() == errc::timeout);
}
