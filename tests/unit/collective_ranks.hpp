// Runs a function as N ranks in N forked processes and collects their exit
// codes, for the collective backends' tests. A rank reports a failed check by
// printing it to stderr and returning non-zero; every wait here is bounded.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <dirent.h>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace lagom::test {

struct rank_result {
  int exit_code = -1;   ///< the rank's exit code, -1 if it did not exit normally
  int signal = 0;       ///< the signal that ended it, 0 if none
  bool timed_out = false;
};

/// Forks `n` processes running `fn(rank)`, each exits with its return value.
/// `on_started(pids)` (optional) runs in the parent once all are forked.
/// Children still running after `limit` are killed and marked timed_out.
/// `straggler` (optional): a rank killed with SIGKILL as soon as every other
/// rank has exited (one the test stopped with SIGSTOP).
inline std::vector<rank_result> run_ranks(
  uint32_t n, const std::function<int(uint32_t)>& fn,
  std::chrono::milliseconds limit = std::chrono::milliseconds(20000),
  const std::function<void(const std::vector<pid_t>&)>& on_started = {},
  int straggler = -1) {
  std::vector<pid_t> pids;
  std::fflush(nullptr);
  for (uint32_t r = 0; r < n; ++r) {
    pid_t pid = ::fork();
    if (pid == 0) {
      int code = 99;
      try { code = fn(r); } catch (...) { code = 98; }
      std::fflush(nullptr);
      ::_exit(code);
    }
    pids.push_back(pid);
  }
  if (on_started) on_started(pids);
  std::vector<rank_result> out(n);
  std::vector<bool> done(n, false);
  auto deadline = std::chrono::steady_clock::now() + limit;
  uint32_t left = n;
  while (left > 0) {
    for (uint32_t r = 0; r < n; ++r) {
      if (done[r]) continue;
      int ws = 0;
      if (::waitpid(pids[r], &ws, WNOHANG) == pids[r]) {
        done[r] = true;
        --left;
        if (WIFEXITED(ws)) out[r].exit_code = WEXITSTATUS(ws);
        if (WIFSIGNALED(ws)) out[r].signal = WTERMSIG(ws);
      }
    }
    if (left == 0) break;
    if (left == 1 && straggler >= 0 && !done[straggler]) ::kill(pids[straggler], SIGKILL);
    if (std::chrono::steady_clock::now() >= deadline) {
      for (uint32_t r = 0; r < n; ++r)
        if (!done[r]) {
          ::kill(pids[r], SIGKILL);
          ::waitpid(pids[r], nullptr, 0);
          out[r].timed_out = true;
        }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return out;
}

/// Entries in /dev/shm whose name starts with `prefix`.
inline std::vector<std::string> shm_entries(const std::string& prefix) {
  std::vector<std::string> found;
  if (DIR* d = ::opendir("/dev/shm")) {
    while (dirent* e = ::readdir(d))
      if (std::string(e->d_name).rfind(prefix, 0) == 0) found.push_back(e->d_name);
    ::closedir(d);
  }
  return found;
}

/// A unique job name per test run, so parallel ctest runs never collide.
inline std::string unique_job(const std::string& stem) {
  return stem + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000007);
}

/// Rank r's deterministic input: element i of rank r.
template <class T>
inline T rank_value(uint32_t r, std::size_t i) {
  return static_cast<T>(static_cast<double>((i * 7 + r * 13) % 101) * 0.25 - 3.0 + r);
}

/// 0 if every element of `got` equals the reference sum (or average) over
/// `n` ranks within tolerance; otherwise prints the first mismatch, returns 1.
template <class T>
inline int check_reduced(const std::vector<T>& got, uint32_t n, bool average, const char* what) {
  for (std::size_t i = 0; i < got.size(); ++i) {
    double want = 0;
    for (uint32_t r = 0; r < n; ++r) want += static_cast<double>(rank_value<T>(r, i));
    if (average) want /= n;
    double tol = 1e-5 * (std::fabs(want) + 1.0);
    if (std::fabs(static_cast<double>(got[i]) - want) > tol) {
      std::fprintf(stderr, "%s: element %zu is %.9g, want %.9g\n", what, i,
                   static_cast<double>(got[i]), want);
      return 1;
    }
  }
  return 0;
}

} // namespace lagom::test
