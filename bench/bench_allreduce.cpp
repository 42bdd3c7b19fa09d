// bench_allreduce: lagom's all-reduce (shared-memory and Gloo paths) against
// torch.distributed's gloo backend (Debian's python3-torch 1.13), 2 ranks on
// this host, float32 sum, plus a memcpy of the same bytes as the physical limit.
//
//   build/bench/bench_allreduce [--reps 5] [--quick] [--chunk BYTES]
//
// --chunk sets the shared-memory path's chunk (default 1 MiB).
//
// Each repetition runs, in turn (rotating which goes first): lagom shm,
// lagom gloo (two forked ranks meeting through a file store), torch gloo
// (bench/peers/allreduce_torch.py, two processes), and memcpy. Within a run,
// for each size: a warm-up, a barrier, then rank 0 times `iters`
// back-to-back all-reduces; the figure is the mean per call. The table gives
// the median over repetitions of latency (µs) and bus bandwidth
// (busbw = bytes / time x 2(n-1)/n, GB/s), and the medians of the
// per-repetition ratios against torch.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "collective/gloo_communicator.hpp"
#include "collective/kv_store.hpp"
#include "collective/shm_communicator.hpp"

namespace {

using namespace lagom;
using namespace lagom::collective;
using clock_type = std::chrono::steady_clock;

std::size_t shm_chunk = shm_default_chunk_bytes;

struct size_case {
  std::size_t bytes;
  int iters;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Runs 2 forked ranks of `backend` over `sizes`; returns seconds per call per size.
std::vector<double> run_lagom(const std::string& backend, const std::vector<size_case>& sizes,
                              int rep) {
  int fds[2];
  if (::pipe(fds) != 0) std::exit(1);
  std::string dir = "/tmp/lagom-bench-allreduce-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string job = "bench-" + std::to_string(::getpid()) + "-" + backend + "-" + std::to_string(rep);
  std::vector<pid_t> pids;
  for (uint32_t r = 0; r < 2; ++r) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      group_options o;
      o.job = job;
      o.rank = r;
      o.world_size = 2;
      status st;
      std::unique_ptr<communicator> comm =
        backend == "shm" ? make_shm(o, st, shm_chunk) : make_gloo(o, make_file_store(dir), st);
      if (!comm) {
        std::fprintf(stderr, "bench_allreduce: %s rank %u: %s\n", backend.c_str(), r, st.to_string().c_str());
        ::_exit(2);
      }
      std::vector<double> out;
      for (const auto& c : sizes) {
        std::vector<float> data(c.bytes / 4, 1.0f + r);
        for (int i = 0; i < 2; ++i)
          if (!comm->all_reduce(data.data(), data.size(), dtype::float32, reduce_op::sum)) ::_exit(3);
        if (!comm->barrier()) ::_exit(3);
        auto t0 = clock_type::now();
        for (int i = 0; i < c.iters; ++i)
          if (auto s = comm->all_reduce(data.data(), data.size(), dtype::float32, reduce_op::sum); !s) {
            std::fprintf(stderr, "bench_allreduce: %s\n", s.to_string().c_str());
            ::_exit(3);
          }
        out.push_back(std::chrono::duration<double>(clock_type::now() - t0).count() / c.iters);
      }
      if (!comm->barrier()) ::_exit(3);
      if (r == 0 && ::write(fds[1], out.data(), out.size() * sizeof(double)) < 0) ::_exit(4);
      ::_exit(0);
    }
    pids.push_back(pid);
  }
  ::close(fds[1]);
  std::vector<double> out(sizes.size());
  std::size_t want = out.size() * sizeof(double), got = 0;
  while (got < want) {
    ssize_t n = ::read(fds[0], reinterpret_cast<char*>(out.data()) + got, want - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fds[0]);
  int bad = 0;
  for (pid_t p : pids) {
    int ws = 0;
    ::waitpid(p, &ws, 0);
    bad += !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
  }
  std::filesystem::remove_all(dir);
  if (bad || got != want) {
    std::fprintf(stderr, "bench_allreduce: lagom %s run failed\n", backend.c_str());
    std::exit(1);
  }
  return out;
}

std::vector<double> run_torch(const std::vector<size_case>& sizes) {
  std::string cmd = "/usr/bin/python3 " LAGOM_SOURCE_DIR "/bench/peers/allreduce_torch.py /tmp/lagom-bench-torch-" +
                    std::to_string(::getpid());
  for (const auto& c : sizes) cmd += " " + std::to_string(c.bytes) + ":" + std::to_string(c.iters);
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) std::exit(1);
  std::map<std::size_t, double> seen;
  char line[256];
  while (std::fgets(line, sizeof line, p)) {
    unsigned long long b = 0;
    double s = 0;
    if (std::sscanf(line, "allreduce %llu %lf", &b, &s) == 2) seen[b] = s;
  }
  if (::pclose(p) != 0 || seen.size() != sizes.size()) {
    std::fprintf(stderr, "bench_allreduce: the torch peer failed (is python3-torch installed? scripts/setup --bench)\n");
    std::exit(1);
  }
  std::vector<double> out;
  for (const auto& c : sizes) out.push_back(seen[c.bytes]);
  return out;
}

std::vector<double> run_memcpy(const std::vector<size_case>& sizes) {
  std::vector<double> out;
  for (const auto& c : sizes) {
    std::vector<char> a(c.bytes, 1), b(c.bytes, 2);
    std::memcpy(b.data(), a.data(), c.bytes);
    auto t0 = clock_type::now();
    for (int i = 0; i < c.iters; ++i) {
      std::memcpy(b.data(), a.data(), c.bytes);
      asm volatile("" : : "r"(b.data()) : "memory");
    }
    out.push_back(std::chrono::duration<double>(clock_type::now() - t0).count() / c.iters);
  }
  return out;
}

std::string size_name(std::size_t b) {
  if (b >= (1u << 20)) return std::to_string(b >> 20) + " MiB";
  return std::to_string(b >> 10) + " KiB";
}

} // namespace

int main(int argc, char** argv) {
  int reps = 5;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
    else if (a == "--quick") quick = true;
    else if (a == "--chunk" && i + 1 < argc) shm_chunk = std::strtoull(argv[++i], nullptr, 10);
    else {
      std::fprintf(stderr, "bench_allreduce: unknown argument '%s' (--reps N, --quick, --chunk BYTES)\n", a.c_str());
      return 2;
    }
  }
  if (reps < 1) {
    std::fprintf(stderr, "bench_allreduce: --reps must be at least 1\n");
    return 2;
  }
  if (quick) reps = std::min(reps, 2);
  std::vector<size_case> sizes = {{4096, quick ? 200 : 1000}, {1u << 20, quick ? 20 : 100},
                                  {64u << 20, quick ? 3 : 10}};
  const char* names[] = {"shm", "gloo", "torch", "memcpy"};
  std::map<std::string, std::vector<std::vector<double>>> t;  // name -> rep -> size
  for (int rep = 0; rep < reps; ++rep) {
    for (int k = 0; k < 4; ++k) {
      std::string who = names[(k + rep) % 4];
      if (who == "shm" || who == "gloo") t[who].push_back(run_lagom(who, sizes, rep));
      else if (who == "torch") t[who].push_back(run_torch(sizes));
      else t[who].push_back(run_memcpy(sizes));
    }
    std::fprintf(stderr, "bench_allreduce: repetition %d of %d done\n", rep + 1, reps);
  }
  const double n = 2, bus = 2 * (n - 1) / n;
  auto med = [&](const std::string& who, std::size_t s) {
    std::vector<double> v;
    for (auto& r : t[who]) v.push_back(r[s]);
    return median(v);
  };
  auto ratio = [&](const std::string& a, const std::string& b, std::size_t s) {
    std::vector<double> v;  // time b / time a per repetition: > 1 means a is faster
    for (int r = 0; r < reps; ++r) v.push_back(t[b][r][s] / t[a][r][s]);
    return median(v);
  };
  std::printf("all-reduce, float32 sum, 2 ranks, median of %d repetitions (shm chunk %zu bytes)\n",
              reps, shm_chunk);
  std::printf("latency (us per call)\n");
  std::printf("%-8s %10s %10s %10s %10s %12s %12s\n", "size", "memcpy", "shm", "gloo", "torch",
              "shm/torch", "gloo/torch");
  for (std::size_t s = 0; s < sizes.size(); ++s)
    std::printf("%-8s %10.1f %10.1f %10.1f %10.1f %12.3f %12.3f\n", size_name(sizes[s].bytes).c_str(),
                med("memcpy", s) * 1e6, med("shm", s) * 1e6, med("gloo", s) * 1e6,
                med("torch", s) * 1e6, 1.0 / ratio("shm", "torch", s), 1.0 / ratio("gloo", "torch", s));
  std::printf("bus bandwidth (GB/s; memcpy: bytes/time)\n");
  std::printf("%-8s %10s %10s %10s %10s %12s %12s\n", "size", "memcpy", "shm", "gloo", "torch",
              "shm/torch", "gloo/torch");
  for (std::size_t s = 0; s < sizes.size(); ++s) {
    double b = static_cast<double>(sizes[s].bytes);
    std::printf("%-8s %10.2f %10.2f %10.2f %10.2f %12.2f %12.2f\n", size_name(sizes[s].bytes).c_str(),
                b / med("memcpy", s) / 1e9, b * bus / med("shm", s) / 1e9, b * bus / med("gloo", s) / 1e9,
                b * bus / med("torch", s) / 1e9, ratio("shm", "torch", s), ratio("gloo", "torch", s));
  }
  return 0;
}
