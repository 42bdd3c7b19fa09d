// The rendezvous kv_stores (memory, file, prefixed), their Gloo Store adapter,
// and the backend factory's choice.
#include <catch2/catch.hpp>

#include <gloo/common/error.h>

#include <thread>

#include "collective/factory.hpp"
#include "collective/gloo_store.hpp"
#include "collective/kv_store.hpp"
#include "collective_checks.hpp"
#include "temp_dir.hpp"

using namespace lagom;
using namespace lagom::collective;
using namespace std::chrono_literals;

namespace {

void check_store(const std::shared_ptr<kv_store>& kv) {
  std::vector<char> got;
  // A get blocks until another thread sets the key.
  std::thread setter([&] { CHECK(kv->set("a/b", {'x', 'y'}).is_ok()); });
  REQUIRE(kv->get("a/b", 5000ms, got).is_ok());
  setter.join();
  CHECK(got == std::vector<char>{'x', 'y'});
  // Write-once.
  auto st = kv->set("a/b", {'z'});
  CHECK(st.code() == errc::invalid_argument);
  CHECK_THAT(st.to_string(), Catch::Contains("a/b"));
  // A bounded wait names the missing key.
  auto t0 = std::chrono::steady_clock::now();
  st = kv->wait({"a/b", "never"}, 50ms);
  CHECK(st.code() == errc::timeout);
  CHECK_THAT(st.where(), Catch::Contains("never"));
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(kv->set("empty", {}).is_ok());
  CHECK(kv->get("empty", 10ms, got).is_ok());
  CHECK(got.empty());
}

} // namespace

TEST_CASE("memory store: blocking get, write-once keys, bounded wait", "[collective][store]") {
  check_store(make_memory_store());
}

TEST_CASE("file store: blocking get, write-once keys, bounded wait", "[collective][store]") {
  lagom::test::temp_dir dir("lagom-kv");
  check_store(make_file_store(dir.path()));
}

TEST_CASE("prefixed stores of two generations never see each other's keys", "[collective][store]") {
  auto kv = make_memory_store();
  auto g1 = make_prefixed_store(kv, "job.1"), g2 = make_prefixed_store(kv, "job.2");
  CHECK(g1->set("rank_0", {'1'}).is_ok());
  CHECK(g2->set("rank_0", {'2'}).is_ok());
  std::vector<char> got;
  REQUIRE(kv->get("job.2/rank_0", 10ms, got).is_ok());
  CHECK(got == std::vector<char>{'2'});
}

TEST_CASE("gloo_store throws gloo::IoException naming the key on timeout", "[collective][store]") {
  gloo_store gs(make_memory_store(), 30ms);
  gs.set("k", {'v'});
  CHECK(gs.get("k") == std::vector<char>{'v'});
  CHECK_THROWS_AS(gs.set("k", {'w'}), gloo::Exception);
  CHECK_THROWS_WITH(gs.get("missing"), Catch::Contains("missing"));
  CHECK_THROWS_AS(gs.wait({"k", "missing"}, 20ms), gloo::IoException);
  CHECK_THROWS_AS(gs.wait({"missing"}, std::chrono::milliseconds(0)), gloo::IoException);
}

TEST_CASE("factory: one host is shm, several are gloo, nccl when asked", "[collective][factory]") {
  group_options g = lagom::test::group_for("job", 0, 2);
  factory_options f;
  backend_kind k{};
  f.rank_hosts = {"a", "a"};
  REQUIRE(choose_backend(g, f, k).is_ok());
  CHECK(k == backend_kind::shm);
  f.rank_hosts = {"a", "b"};
  REQUIRE(choose_backend(g, f, k).is_ok());
  CHECK(k == backend_kind::gloo);
  f.want = backend_kind::nccl;
  REQUIRE(choose_backend(g, f, k).is_ok());
  CHECK(k == backend_kind::nccl);
  f.want = backend_kind::shm;
  auto st = choose_backend(g, f, k);
  CHECK(st.where() == "factory_options.want");
  f.want = backend_kind::automatic;
  f.rank_hosts = {"a"};
  st = choose_backend(g, f, k);
  CHECK(st.where() == "factory_options.rank_hosts");
}

TEST_CASE("factory builds a working shm group across forked ranks", "[collective][factory]") {
  auto job = lagom::test::unique_job("factory");
  auto res = lagom::test::run_ranks(2, [&](uint32_t r) -> int {
    factory_options f;
    f.rank_hosts = {"h", "h"};
    status st;
    auto comm = make_communicator(lagom::test::group_for(job, r, 2), f, st);
    if (!comm || std::string(comm->backend()) != "shm") return 2;
    double x = r + 1.0;
    if (!comm->all_reduce(&x, 1, dtype::float64, reduce_op::sum)) return 3;
    return x == 3.0 ? 0 : 4;
  });
  CHECK(lagom::test::all_exited_ok(res));
}
