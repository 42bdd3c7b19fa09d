// The Gloo (TCP) backend across real processes on loopback, meeting through
// a file store: reference sums, broadcast/barrier/all-gather, kill -9 of a
// rank, and a rendezvous that times out.
#include <catch2/catch.hpp>

#include "collective/gloo_communicator.hpp"
#include "collective/kv_store.hpp"
#include "collective_checks.hpp"
#include "temp_dir.hpp"

using namespace lagom;
using namespace lagom::test;
using collective::reduce_op;

namespace {

maker gloo_maker(const std::string& dir) {
  return [dir](const collective::group_options& o, status& st) {
    return collective::make_gloo(o, collective::make_file_store(dir), st);
  };
}

} // namespace

TEST_CASE("gloo all_reduce equals the reference sum for sizes 0, 1, odd and 64 MiB", "[collective][gloo]") {
  temp_dir dir("lagom-gloo");
  auto job = unique_job("gloosz");
  for (uint32_t n : {2u, 3u})
    for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{1001}, std::size_t{65536 + 17}}) {
      INFO("ranks " << n << " count " << count);
      CHECK(all_exited_ok(all_reduce_ranks<float>(gloo_maker(dir.path()),
                                                  job + "-" + std::to_string(n) + "-" + std::to_string(count),
                                                  n, count, reduce_op::sum)));
    }
  CHECK(all_exited_ok(all_reduce_ranks<float>(gloo_maker(dir.path()), job + "-big", 2, (64u << 20) / 4,
                                              reduce_op::sum)));
}

TEST_CASE("gloo all_reduce in float64 and average, 2 and 3 ranks", "[collective][gloo]") {
  temp_dir dir("lagom-gloo");
  auto job = unique_job("gloo64");
  for (uint32_t n : {2u, 3u}) {
    INFO("ranks " << n);
    CHECK(all_exited_ok(all_reduce_ranks<double>(gloo_maker(dir.path()), job + "a" + std::to_string(n), n, 3001, reduce_op::sum)));
    CHECK(all_exited_ok(all_reduce_ranks<double>(gloo_maker(dir.path()), job + "b" + std::to_string(n), n, 3001, reduce_op::average)));
    CHECK(all_exited_ok(all_reduce_ranks<float>(gloo_maker(dir.path()), job + "c" + std::to_string(n), n, 3001, reduce_op::average)));
  }
}

TEST_CASE("gloo broadcast from every root, barrier and all_gather", "[collective][gloo]") {
  temp_dir dir("lagom-gloo");
  auto job = unique_job("gloobc");
  for (uint32_t n : {2u, 3u})
    for (std::size_t bytes : {std::size_t{0}, std::size_t{7}, std::size_t{5000}}) {
      INFO("ranks " << n << " bytes " << bytes);
      CHECK(all_exited_ok(broadcast_gather_ranks(gloo_maker(dir.path()),
                                                 job + std::to_string(n) + "-" + std::to_string(bytes), n, bytes)));
    }
}

TEST_CASE("gloo a rank killed with SIGKILL mid all_reduce fails the others within the deadline",
          "[collective][gloo]") {
  temp_dir dir("lagom-gloo");
  auto job = unique_job("glookill");
  for (uint32_t n : {2u, 3u}) {
    INFO("ranks " << n);
    auto res = kill_one_ranks(gloo_maker(dir.path()), job + std::to_string(n), n,
                              std::chrono::milliseconds(3000), n == 2);
    REQUIRE(res.size() == n);
    CHECK(res[n - 1].signal == SIGKILL);
    for (uint32_t r = 0; r + 1 < n; ++r) {
      INFO("survivor " << r << " exit " << res[r].exit_code << " signal " << res[r].signal);
      CHECK(res[r].exit_code == 0);
    }
  }
}

TEST_CASE("gloo rendezvous without the other ranks times out within the rendezvous timeout",
          "[collective][gloo]") {
  temp_dir dir("lagom-gloo");
  auto o = group_for(unique_job("gloolone"), 0, 2);
  o.rendezvous_timeout = std::chrono::milliseconds(300);
  status st;
  auto t0 = std::chrono::steady_clock::now();
  auto comm = collective::make_gloo(o, collective::make_file_store(dir.path()), st);
  CHECK(comm == nullptr);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
  CHECK(st.code() == errc::timeout);
  CHECK_THAT(st.where(), Catch::Contains("gloo rendezvous"));
}

TEST_CASE("gloo without a store is refused", "[collective][gloo]") {
  status st;
  CHECK(collective::make_gloo(group_for("job", 0, 2), nullptr, st) == nullptr);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "make_gloo store");
}

TEST_CASE("gloo a rank stopped with SIGSTOP mid all_reduce times the others out within the deadline",
          "[collective][gloo]") {
  temp_dir dir("lagom-gloo");
  auto job = unique_job("gloostop");
  for (uint32_t n : {2u, 3u}) {
    INFO("ranks " << n);
    auto t0 = std::chrono::steady_clock::now();
    auto res = kill_one_ranks(gloo_maker(dir.path()), job + std::to_string(n), n,
                              std::chrono::milliseconds(500), n == 2, SIGSTOP);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    REQUIRE(res.size() == n);
    for (uint32_t r = 0; r + 1 < n; ++r) {
      INFO("survivor " << r << " exit " << res[r].exit_code << " signal " << res[r].signal);
      CHECK(res[r].exit_code == 0);
    }
  }
}

TEST_CASE("gloo a rank killed mid small all_reduce (the direct exchange) fails the others",
          "[collective][gloo]") {
  temp_dir dir("lagom-gloo");
  auto job = unique_job("gloosmallkill");
  for (uint32_t n : {2u, 3u}) {
    INFO("ranks " << n);
    auto res = kill_one_ranks(gloo_maker(dir.path()), job + std::to_string(n), n,
                              std::chrono::milliseconds(3000), n == 2, SIGKILL, 256);
    REQUIRE(res.size() == n);
    CHECK(res[n - 1].signal == SIGKILL);
    for (uint32_t r = 0; r + 1 < n; ++r) {
      INFO("survivor " << r << " exit " << res[r].exit_code << " signal " << res[r].signal);
      CHECK(res[r].exit_code == 0);
    }
  }
}
