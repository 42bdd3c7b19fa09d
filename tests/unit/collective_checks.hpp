// The checks every collective backend passes, run as real processes (fork):
// all-reduce against a reference sum, broadcast, barrier, all-gather, and a
// rank killed with SIGKILL mid-collective. A backend's test file supplies a
// `maker` that builds its communicator inside a child.
#pragma once

#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <memory>

#include "collective/communicator.hpp"
#include "collective/group.hpp"
#include "collective_ranks.hpp"

namespace lagom::test {

using maker = std::function<std::unique_ptr<collective::communicator>(
  const collective::group_options&, status&)>;

inline collective::group_options group_for(const std::string& job, uint32_t rank, uint32_t n) {
  collective::group_options o;
  o.job = job;
  o.generation = 1;
  o.rank = rank;
  o.world_size = n;
  o.rendezvous_timeout = std::chrono::milliseconds(10000);
  o.op_timeout = std::chrono::milliseconds(10000);
  return o;
}

inline int report(const status& st, const char* what) {
  std::fprintf(stderr, "%s: %s\n", what, st.to_string().c_str());
  return 2;
}

/// Every rank all-reduces `count` elements of its rank_value data; each
/// checks the result against the reference. Returns the ranks' results.
template <class T>
std::vector<rank_result> all_reduce_ranks(const maker& make, const std::string& job, uint32_t n,
                                          std::size_t count, collective::reduce_op op) {
  return run_ranks(n, [&](uint32_t r) -> int {
    status st;
    auto comm = make(group_for(job, r, n), st);
    if (!comm) return report(st, "make");
    std::vector<T> data(count);
    for (std::size_t i = 0; i < count; ++i) data[i] = rank_value<T>(r, i);
    collective::dtype t =
      sizeof(T) == 4 ? collective::dtype::float32 : collective::dtype::float64;
    // Twice: the second call reuses the slots and counters of the first.
    const int rounds = count > (1u << 20) ? 1 : 2;
    for (int round = 0; round < rounds; ++round) {
      if (round == 1)
        for (std::size_t i = 0; i < count; ++i) data[i] = rank_value<T>(r, i);
      if (auto s = comm->all_reduce(data.data(), count, t, op); !s) return report(s, "all_reduce");
      if (check_reduced(data, n, op == collective::reduce_op::average, "all_reduce")) return 3;
    }
    return 0;
  });
}

inline bool all_exited_ok(const std::vector<rank_result>& res) {
  bool ok = true;
  for (std::size_t r = 0; r < res.size(); ++r) {
    INFO("rank " << r << " exit " << res[r].exit_code << " signal " << res[r].signal
                 << (res[r].timed_out ? " (timed out)" : ""));
    CHECK(res[r].exit_code == 0);
    ok = ok && res[r].exit_code == 0;
  }
  return ok;
}

/// Broadcast from every root in turn, a barrier, then an all-gather; `bytes`
/// per rank.
inline std::vector<rank_result> broadcast_gather_ranks(const maker& make, const std::string& job,
                                                      uint32_t n, std::size_t bytes) {
  return run_ranks(n, [&](uint32_t r) -> int {
    status st;
    auto comm = make(group_for(job, r, n), st);
    if (!comm) return report(st, "make");
    for (uint32_t root = 0; root < n; ++root) {
      std::vector<unsigned char> buf(bytes, static_cast<unsigned char>(r == root ? 0 : 0xEE));
      if (r == root)
        for (std::size_t i = 0; i < bytes; ++i) buf[i] = static_cast<unsigned char>((i * 31 + root) & 0xFF);
      if (auto s = comm->broadcast(buf.data(), bytes, root); !s) return report(s, "broadcast");
      for (std::size_t i = 0; i < bytes; ++i)
        if (buf[i] != static_cast<unsigned char>((i * 31 + root) & 0xFF)) {
          std::fprintf(stderr, "broadcast from %u: byte %zu wrong\n", root, i);
          return 3;
        }
    }
    if (auto s = comm->barrier(); !s) return report(s, "barrier");
    std::vector<unsigned char> in(bytes), out(bytes * n, 0);
    for (std::size_t i = 0; i < bytes; ++i) in[i] = static_cast<unsigned char>((i + 5 * r) & 0xFF);
    if (auto s = comm->all_gather(in.data(), bytes, out.data()); !s) return report(s, "all_gather");
    for (uint32_t q = 0; q < n; ++q)
      for (std::size_t i = 0; i < bytes; ++i)
        if (out[q * bytes + i] != static_cast<unsigned char>((i + 5 * q) & 0xFF)) {
          std::fprintf(stderr, "all_gather: rank %u's byte %zu wrong\n", q, i);
          return 4;
        }
    if (auto s = comm->barrier(); !s) return report(s, "barrier");
    return 0;
  });
}

/// n ranks all-reduce in a loop; once all have done one, the parent sends
/// rank n-1 `sig` (SIGKILL, or SIGSTOP: alive but silent). Each survivor must fail within `op_timeout` plus
/// slack with a status naming all_reduce and (`name_rank`) the killed rank,
/// and every later call must fail at once. Returns the ranks' results; the
/// killed one has signal 9.
inline std::vector<rank_result> kill_one_ranks(const maker& make, const std::string& job,
                                               uint32_t n, std::chrono::milliseconds op_timeout,
                                               bool name_rank, int sig = SIGKILL,
                                               std::size_t count = 1 << 20) {
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const uint32_t victim = n - 1;
  auto res = run_ranks(
    n,
    [&](uint32_t r) -> int {
      ::close(ready[0]);
      auto o = group_for(job, r, n);
      o.op_timeout = op_timeout;
      status st;
      auto comm = make(o, st);
      if (!comm) return report(st, "make");
      std::vector<float> data(count, 1.0f);
      for (long it = 0;; ++it) {
        auto t0 = std::chrono::steady_clock::now();
        status s = comm->all_reduce(data.data(), data.size(), collective::dtype::float32,
                                    collective::reduce_op::average);
        if (!s) {
          auto took = std::chrono::steady_clock::now() - t0;
          std::string text = s.to_string();
          std::fprintf(stderr, "rank %u failed as expected after %ld ms: %s\n", r,
                       static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()),
                       text.c_str());
          if (text.find("all_reduce") == std::string::npos) return 5;
          if (name_rank && text.find("rank " + std::to_string(victim)) == std::string::npos) return 6;
          if (took > op_timeout + std::chrono::milliseconds(1500)) return 7;
          if (comm->barrier().is_ok()) return 8;  // broken stays broken
          return 0;
        }
        if (it == 0) {
          char c = 'x';
          if (::write(ready[1], &c, 1) != 1) return 9;
        }
      }
    },
    std::chrono::milliseconds(20000),
    [&](const std::vector<pid_t>& pids) {
      ::close(ready[1]);
      char c;
      for (uint32_t i = 0; i < n; ++i)
        if (::read(ready[0], &c, 1) != 1) break;
      ::kill(pids[victim], sig);
    },
    sig == SIGKILL ? -1 : static_cast<int>(victim));
  ::close(ready[0]);
  return res;
}

} // namespace lagom::test
