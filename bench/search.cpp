// bench_search: the trial scheduler's own cost (issue (b) of the search
// benchmarks), on an embedded cluster whose registry is on disk.
//
//   build/bench/bench_search [--noop-trials 20000] [--sleep-trials 2000]
//       [--sleep-ms 10] [--reps 3]
//
// 1. No-op trials per second: the `noop` function through the scheduler with
//    2 containers, every trial's changes (queued, running, finished) stored
//    in the registry (LMDB, batched), random search; against Optuna 3.1's
//    in-memory RandomSampler loop over the same no-op trials
//    (bench/peers/optuna_noop.py, run with /usr/bin/python3), alternating,
//    medians over --reps.
// 2. Overhead: --sleep-trials trials of --sleep-ms each (the `objective`
//    function with step_ms, one report per trial; a step takes step_ms
//    exactly) over 2 containers, against the ideal trials * ms / 2, median
//    over --reps.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_cluster.hpp"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double python_trials_per_s(uint32_t n) {
  std::string cmd = "/usr/bin/python3 " LAGOM_SOURCE_DIR "/bench/peers/optuna_noop.py " +
                    std::to_string(n);
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr)
    return 0;
  double v = 0;
  if (std::fscanf(p, "trials_per_s %lf", &v) != 1)
    v = 0;
  ::pclose(p);
  return v;
}

struct run_out {
  double seconds = 0;
  uint32_t finished = 0;
  double function_ms = 0;  // the functions' own time, summed
};

run_out search(lagom::cluster& c, const std::string& fn, uint32_t trials,
               const lagom::named_values& fixed, const std::string& name,
               const std::string& optimizer = "random") {
  lagom::searchspace space;
  space.add(lagom::tuning::dimension::real("x", -1, 1));
  lagom::search_options so;
  so.optimizer = optimizer;
  so.num_trials = trials;
  so.metric = "score";
  so.containers = 2;
  so.params = fixed;
  so.name = name;
  lagom::search_watch w;
  w.plot_dir = "-";
  lagom::search_result r;
  auto t0 = std::chrono::steady_clock::now();
  auto st = c.search(fn, space, so, r, w);
  run_out out;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!st) {
    std::fprintf(stderr, "bench_search: %s\n", st.to_string().c_str());
    std::exit(1);
  }
  out.finished = r.finished;
  for (auto& t : r.trials)
    out.function_ms += t.elapsed_ms;
  return out;
}

} // namespace

int main(int argc, char** argv) {
  uint32_t noop = 20000, sleepers = 2000, reps = 3;
  double sleep_ms = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--noop-trials") noop = std::atoi(argv[i + 1]);
    else if (k == "--sleep-trials") sleepers = std::atoi(argv[i + 1]);
    else if (k == "--sleep-ms") sleep_ms = std::atof(argv[i + 1]);
    else if (k == "--reps") reps = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "bench_search: unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  lagom::bench::bench_cluster c("bench_search");
  std::vector<double> ours, theirs, ratios;
  std::vector<double> harness_us;  // a no-op function's measured time, per trial
  for (uint32_t r = 0; r < reps; ++r) {
    std::fprintf(stderr, "\rno-op trials: repetition %u/%u ...", r + 1, reps);
    double py = 0, me = 0;
    auto lagom_run = [&] {
      auto o = search(*c, "noop", noop, {}, "noop-" + std::to_string(r));
      me = o.finished / o.seconds;
      harness_us.push_back(o.function_ms * 1000 / std::max<uint32_t>(o.finished, 1));
    };
    if (r % 2 == 0) {
      lagom_run();
      py = python_trials_per_s(noop);
    } else {
      py = python_trials_per_s(noop);
      lagom_run();
    }
    ours.push_back(me);
    theirs.push_back(py);
    ratios.push_back(py > 0 ? me / py : 0);
  }
  lagom::named_values fixed;
  fixed.set("step_ms", sleep_ms);
  // random: a loop asks a trial ahead; de learns from results, so no
  // lookahead: each trial is asked for when the one before it returned.
  std::vector<double> walls, in_functions, walls_de, in_functions_de;
  for (uint32_t r = 0; r < reps; ++r) {
    std::fprintf(stderr, "\r%u x %g ms trials: repetition %u/%u ...          ", sleepers,
                 sleep_ms, r + 1, reps);
    auto o = search(*c, "objective", sleepers, fixed, "sleep-" + std::to_string(r));
    walls.push_back(o.seconds);
    in_functions.push_back(o.function_ms / 2000.0);
    o = search(*c, "objective", sleepers, fixed, "sleep-de-" + std::to_string(r), "de");
    walls_de.push_back(o.seconds);
    in_functions_de.push_back(o.function_ms / 2000.0);
  }
  double ideal = sleepers * sleep_ms / 1000.0 / 2.0;
  double wall = median(walls), wall_de = median(walls_de);
  std::fprintf(stderr, "\r%60s\r", "");
  std::printf("(b) trial scheduler, 2 containers, trial table persisted (median of %u)\n", reps);
  std::printf("%-34s %14s %14s %8s\n", "case", "lagom", "optuna", "ratio");
  std::printf("%-34s %14.0f %14.0f %7.1fx\n",
              ("no-op trials/s (" + std::to_string(noop) + ")").c_str(), median(ours),
              median(theirs), median(ratios));
  std::printf("%-34s %12.1fus\n", "  of which in the container/trial", median(harness_us));
  std::string what = std::to_string(sleepers) + " x " + std::to_string(int(sleep_ms)) + " ms";
  std::printf("%-34s %13.2fs %13.2fs %7.2f%%\n", (what + " random: wall / ideal").c_str(), wall,
              ideal, (wall - ideal) / ideal * 100);
  std::printf("%-34s %13.2fs\n", "  of which in the functions / 2", median(in_functions));
  std::printf("%-34s %13.2fs %13.2fs %7.2f%%\n", (what + " de: wall / ideal").c_str(), wall_de,
              ideal, (wall_de - ideal) / ideal * 100);
  std::printf("%-34s %13.2fs\n", "  of which in the functions / 2", median(in_functions_de));
  return 0;
}
