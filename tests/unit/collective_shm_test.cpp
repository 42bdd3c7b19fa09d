// The shared-memory backend across real processes: reference sums, chunking,
// broadcast/barrier/all-gather, kill -9 of a rank, and /dev/shm left clean.
#include <catch2/catch.hpp>

#include "collective/shm_communicator.hpp"
#include "collective_checks.hpp"

using namespace lagom;
using namespace lagom::test;
using collective::reduce_op;

namespace {

/// A small chunk (1 KiB) so modest sizes cross many chunks and both buffers.
maker shm_maker(std::size_t chunk = 1024) {
  return [chunk](const collective::group_options& o, status& st) {
    return collective::make_shm(o, st, chunk);
  };
}

} // namespace

TEST_CASE("shm all_reduce equals the reference sum for sizes 0, 1, odd and not a chunk multiple",
          "[collective][shm]") {
  auto job = unique_job("shmsz");
  for (uint32_t n : {2u, 3u})
    for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{1001}, std::size_t{256 * 5 + 17}}) {
      INFO("ranks " << n << " count " << count);
      CHECK(all_exited_ok(all_reduce_ranks<float>(shm_maker(), job + "-" + std::to_string(n) + "-" +
                                                                   std::to_string(count), n, count, reduce_op::sum)));
    }
  CHECK(shm_entries("lagom-" + job).empty());
}

TEST_CASE("shm all_reduce in float64 and average, 2 and 3 ranks", "[collective][shm]") {
  auto job = unique_job("shm64");
  for (uint32_t n : {2u, 3u}) {
    INFO("ranks " << n);
    CHECK(all_exited_ok(all_reduce_ranks<double>(shm_maker(), job + "a" + std::to_string(n), n, 3001, reduce_op::sum)));
    CHECK(all_exited_ok(all_reduce_ranks<double>(shm_maker(), job + "b" + std::to_string(n), n, 3001, reduce_op::average)));
    CHECK(all_exited_ok(all_reduce_ranks<float>(shm_maker(), job + "c" + std::to_string(n), n, 3001, reduce_op::average)));
  }
  CHECK(shm_entries("lagom-" + job).empty());
}

TEST_CASE("shm all_reduce of 64 MiB float32 with the default chunk, 2 and 3 ranks", "[collective][shm]") {
  auto job = unique_job("shmbig");
  for (uint32_t n : {2u, 3u}) {
    INFO("ranks " << n);
    CHECK(all_exited_ok(all_reduce_ranks<float>(shm_maker(collective::shm_default_chunk_bytes),
                                                job + std::to_string(n), n, (64u << 20) / 4, reduce_op::sum)));
  }
  CHECK(shm_entries("lagom-" + job).empty());
}

TEST_CASE("shm broadcast from every root, barrier and all_gather", "[collective][shm]") {
  auto job = unique_job("shmbc");
  for (uint32_t n : {2u, 3u})
    for (std::size_t bytes : {std::size_t{0}, std::size_t{7}, std::size_t{5000}}) {
      INFO("ranks " << n << " bytes " << bytes);
      CHECK(all_exited_ok(broadcast_gather_ranks(shm_maker(), job + std::to_string(n) + "-" + std::to_string(bytes), n, bytes)));
    }
  CHECK(shm_entries("lagom-" + job).empty());
}

TEST_CASE("shm a rank killed with SIGKILL mid all_reduce fails the others within the deadline naming it",
          "[collective][shm]") {
  auto job = unique_job("shmkill");
  for (uint32_t n : {2u, 3u}) {
    INFO("ranks " << n);
    auto res = kill_one_ranks(shm_maker(64 * 1024), job + std::to_string(n), n,
                              std::chrono::milliseconds(3000), true);
    REQUIRE(res.size() == n);
    CHECK(res[n - 1].signal == SIGKILL);
    for (uint32_t r = 0; r + 1 < n; ++r) {
      INFO("survivor " << r << " exit " << res[r].exit_code << " signal " << res[r].signal);
      CHECK(res[r].exit_code == 0);
    }
  }
  CHECK(shm_entries("lagom-" + job).empty());
}

TEST_CASE("shm rendezvous times out naming the rank that never came, and leaves no segment",
          "[collective][shm]") {
  auto o = group_for(unique_job("shmlone"), 0, 2);
  o.rendezvous_timeout = std::chrono::milliseconds(200);
  status st;
  auto comm = collective::make_shm(o, st);
  CHECK(comm == nullptr);
  CHECK(st.code() == errc::timeout);
  CHECK_THAT(st.to_string(), Catch::Contains("rank(s) 1 did not join"));
  CHECK(shm_entries("lagom-" + o.job).empty());
}

TEST_CASE("shm bad group options are refused naming the field", "[collective][shm]") {
  status st;
  auto o = group_for("bad/name", 0, 2);
  CHECK(collective::make_shm(o, st) == nullptr);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "group_options.job");
  o = group_for("ok", 2, 2);
  CHECK(collective::make_shm(o, st) == nullptr);
  CHECK(st.where() == "group_options.rank");
  o = group_for("ok", 0, 2);
  CHECK(collective::make_shm(o, st, 100) == nullptr);
  CHECK(st.where() == "shm_chunk_bytes");
}

TEST_CASE("shm a rank stopped with SIGSTOP mid all_reduce times the others out within the deadline",
          "[collective][shm]") {
  auto job = unique_job("shmstop");
  for (uint32_t n : {2u, 3u}) {
    INFO("ranks " << n);
    auto t0 = std::chrono::steady_clock::now();
    auto res = kill_one_ranks(shm_maker(64 * 1024), job + std::to_string(n), n,
                              std::chrono::milliseconds(500), true, SIGSTOP);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    REQUIRE(res.size() == n);
    for (uint32_t r = 0; r + 1 < n; ++r) {
      INFO("survivor " << r << " exit " << res[r].exit_code << " signal " << res[r].signal);
      CHECK(res[r].exit_code == 0);
    }
  }
}

TEST_CASE("shm small all_reduce takes the one-step path, float32 and float64, 2 and 3 ranks",
          "[collective][shm]") {
  auto job = unique_job("shmone");
  for (uint32_t n : {2u, 3u}) {
    INFO("ranks " << n);
    auto make = shm_maker(collective::shm_default_chunk_bytes);
    CHECK(all_exited_ok(all_reduce_ranks<float>(make, job + "a" + std::to_string(n), n, 1001, reduce_op::sum)));
    CHECK(all_exited_ok(all_reduce_ranks<double>(make, job + "b" + std::to_string(n), n, 3001, reduce_op::average)));
  }
  CHECK(shm_entries("lagom-" + job).empty());
}

TEST_CASE("shm one-step and chunked all_reduce, broadcast and all_gather interleave on one group",
          "[collective][shm]") {
  auto job = unique_job("shmmix");
  auto res = run_ranks(3, [&](uint32_t r) -> int {
    status st;
    auto comm = collective::make_shm(group_for(job, r, 3), st, 4096);
    if (!comm) return report(st, "make");
    for (int round = 0; round < 5; ++round) {
      for (std::size_t count : {std::size_t{10}, std::size_t{5000}, std::size_t{3}}) {
        std::vector<float> d(count);
        for (std::size_t i = 0; i < count; ++i) d[i] = rank_value<float>(r, i);
        if (auto s = comm->all_reduce(d.data(), count, collective::dtype::float32, reduce_op::sum); !s)
          return report(s, "all_reduce");
        if (check_reduced(d, 3, false, "mixed all_reduce")) return 3;
      }
      uint64_t word = r == 1 ? 0xABCDEF0123ULL + round : 0;
      if (auto s = comm->broadcast(&word, sizeof word, 1); !s) return report(s, "broadcast");
      if (word != 0xABCDEF0123ULL + round) return 4;
      uint32_t mine = r * 10 + round, all[3] = {};
      if (auto s = comm->all_gather(&mine, sizeof mine, all); !s) return report(s, "all_gather");
      for (uint32_t q = 0; q < 3; ++q)
        if (all[q] != q * 10 + round) return 5;
    }
    return 0;
  });
  CHECK(all_exited_ok(res));
  CHECK(shm_entries("lagom-" + job).empty());
}
