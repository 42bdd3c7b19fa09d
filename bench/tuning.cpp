// bench_tuning: lagom's TPE against Optuna 3.1 (Debian's python3-optuna) in
// one run: (a) ask+tell time per trial, (c) best value after a budget.
//
//   build/bench/bench_tuning [--trials-small 100] [--trials-large 1000]
//       [--reps 3] [--budget 100] [--seeds 5] [--quick]
//
// (a) Each repetition r (seed r+1) runs `trials-small` and `trials-large`
// sequential trials of a 5-d objective (x, y linear; lr log; n integer; opt
// categorical) with lagom's tpe and with Optuna's TPESampler (defaults,
// in-memory storage, logging off; bench/peers/optuna_search.py), alternating
// which goes first. Time covers ask, the objective and tell, from the first
// ask to the last tell; reported per trial (µs), medians over repetitions,
// and the median of the per-repetition ratios optuna/lagom.
// (c) Branin (2-d, minimum 0.397887) and Hartmann-6 (6-d, minimum
// -3.32237): the best value after `budget` trials, median over seeds
// 1..seeds, for lagom tpe, lagom random, Optuna TPE and Optuna random.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tuning/benchmark_functions.hpp"
#include "tuning/optimizer.hpp"

namespace {

using namespace lagom;
using namespace lagom::tuning;
using objective = std::function<double(const named_values&)>;

// (a)'s objective, as in bench/peers/optuna_search.py; (c)'s are in
// tuning/benchmark_functions.hpp.
double mixed(const named_values& c) {
  double x = c.number("x", 0), y = c.number("y", 0), lr = c.number("lr", 1);
  double n = c.number("n", 0);
  std::string opt = c.text("opt", "");
  return x * x + (y - 1) * (y - 1) + std::pow(std::log10(lr) + 2, 2)
         + std::pow((n - 20) / 10, 2) + (opt == "adam" ? 0.0 : opt == "sgd" ? 0.5 : 1.0);
}

searchspace parse_space(const char* text) {
  searchspace sp;
  if (auto st = searchspace::parse(text, sp); !st) {
    std::fprintf(stderr, "bench_tuning: %s\n", st.to_string().c_str());
    std::exit(1);
  }
  return sp;
}

struct lagom_run {
  double seconds = 0, best = 0;
};

lagom_run run_lagom(const std::string& name, const searchspace& sp, const objective& f,
                    uint32_t trials, uint64_t seed) {
  optimizer_options o;
  o.name = name;
  o.seed = seed;
  std::unique_ptr<optimizer> opt;
  if (auto st = make_optimizer(sp, o, opt); !st) {
    std::fprintf(stderr, "bench_tuning: %s\n", st.to_string().c_str());
    std::exit(1);
  }
  lagom_run r;
  r.best = INFINITY;
  auto start = std::chrono::steady_clock::now();
  for (uint32_t id = 0; id < trials; ++id) {
    trial t;
    t.id = id;
    if (opt->ask(t) != ask_status::ready)
      break;
    double y = f(t.config);
    r.best = std::min(r.best, y);
    opt->tell({t, outcome::finished, y});
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

/// Runs the Optuna peer; calls `on_result` for each RESULT line's text and
/// shows PROGRESS lines on one stderr line. False when it could not run.
bool run_optuna(const std::string& args, const std::function<void(const char*)>& on_result) {
  std::string cmd = "/usr/bin/python3 " LAGOM_SOURCE_DIR "/bench/peers/optuna_search.py " + args
                    + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr)
    return false;
  char line[512];
  bool any = false;
  while (std::fgets(line, sizeof(line), p) != nullptr) {
    line[std::strcspn(line, "\n")] = 0;
    if (std::strncmp(line, "PROGRESS ", 9) == 0) {
      std::fprintf(stderr, "\r  %-60s", line + 9);
    } else if (std::strncmp(line, "RESULT ", 7) == 0) {
      on_result(line + 7);
      any = true;
    } else {
      std::fprintf(stderr, "\noptuna: %s\n", line);
    }
  }
  std::fprintf(stderr, "\r%-64s\r", "");
  return ::pclose(p) == 0 && any;
}

double median(std::vector<double> v) {
  if (v.empty())
    return NAN;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--trials-small N] [--trials-large N] [--reps R] [--budget N] "
               "[--seeds S] [--quick]\n",
               argv0);
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  uint32_t small = 100, large = 1000, reps = 3, budget = 100, seeds = 5;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> uint32_t {
      return i + 1 < argc ? static_cast<uint32_t>(std::max(1, std::atoi(argv[++i]))) : 1;
    };
    if (a == "--trials-small") small = next();
    else if (a == "--trials-large") large = next();
    else if (a == "--reps") reps = next();
    else if (a == "--budget") budget = next();
    else if (a == "--seeds") seeds = next();
    else if (a == "--quick") { small = 50; large = 200; reps = 1; budget = 50; seeds = 3; }
    else return usage(argv[0]);
  }

  // (a) ask+tell time per trial.
  auto space = parse_space("x: double [-5, 5]; y: double [-5, 5]; lr: double [1e-4, 1] log; "
                           "n: integer [1, 64]; opt: categorical [adam, sgd, rms]");
  std::printf("bench_tuning (a): TPE ask+tell per trial, 5-d mixed objective "
              "(2 linear, 1 log, 1 integer, 1 categorical), %u reps\n", reps);
  std::map<uint32_t, std::vector<double>> lagom_us, optuna_us, ratio;
  for (uint32_t r = 0; r < reps; ++r) {
    uint64_t seed = r + 1;
    std::map<uint32_t, double> peer;
    auto optuna = [&] {
      bool ok = run_optuna("time --trials " + std::to_string(small) + "," + std::to_string(large)
                               + " --seed " + std::to_string(seed),
                           [&](const char* line) {
                             unsigned n = 0;
                             double us = 0;
                             if (std::sscanf(line, "trials=%u us_per_trial=%lf", &n, &us) == 2)
                               peer[n] = us;
                           });
      if (!ok) {
        std::fprintf(stderr, "bench_tuning: the Optuna peer failed (is python3-optuna "
                             "installed for /usr/bin/python3?)\n");
        std::exit(1);
      }
    };
    std::map<uint32_t, double> mine;
    auto ours = [&] {
      for (uint32_t n : {small, large})
        mine[n] = run_lagom("tpe", space, mixed, n, seed).seconds / n * 1e6;
    };
    if (r % 2 == 0) ours(), optuna();
    else optuna(), ours();
    for (uint32_t n : {small, large}) {
      lagom_us[n].push_back(mine[n]);
      optuna_us[n].push_back(peer[n]);
      ratio[n].push_back(peer[n] / mine[n]);
      std::fprintf(stderr, "  rep %u, %u trials: lagom %.1f us, optuna %.1f us per trial\n", r,
                   n, mine[n], peer[n]);
    }
  }
  std::printf("%8s %16s %16s %14s\n", "trials", "lagom us/trial", "optuna us/trial",
              "optuna/lagom");
  for (uint32_t n : {small, large})
    std::printf("%8u %16.1f %16.1f %14.1f\n", n, median(lagom_us[n]), median(optuna_us[n]),
                median(ratio[n]));
  std::fflush(stdout);

  // (c) best value after `budget` trials.
  struct problem {
    const char* name;
    double optimum;
    searchspace space;
    objective f;
  };
  std::vector<problem> problems = {
      {"branin", branin_minimum, parse_space(branin_space_text), branin},
      {"hartmann6", hartmann6_minimum, parse_space(hartmann6_space_text), hartmann6}};
  std::map<std::string, std::vector<double>> best;  // "<func> <column>"
  for (const auto& p : problems)
    for (uint64_t seed = 1; seed <= seeds; ++seed) {
      best[std::string(p.name) + " lagom tpe"].push_back(
          run_lagom("tpe", p.space, p.f, budget, seed).best);
      best[std::string(p.name) + " lagom random"].push_back(
          run_lagom("random", p.space, p.f, budget, seed).best);
    }
  bool ok = run_optuna("best --trials " + std::to_string(budget) + " --seeds "
                           + std::to_string(seeds),
                       [&](const char* line) {
                         char func[32] = {0}, sampler[32] = {0};
                         unsigned seed = 0;
                         double b = 0;
                         if (std::sscanf(line, "func=%31s sampler=%31s seed=%u best=%lf", func,
                                         sampler, &seed, &b) == 4)
                           best[std::string(func) + " optuna " + sampler].push_back(b);
                       });
  if (!ok) {
    std::fprintf(stderr, "bench_tuning: the Optuna peer failed\n");
    return 1;
  }
  std::printf("\nbench_tuning (c): best value after %u trials, median of %u seeds "
              "(gap to the optimum)\n", budget, seeds);
  const char* columns[] = {"lagom tpe", "lagom random", "optuna tpe", "optuna random"};
  std::printf("%-10s %10s", "function", "optimum");
  for (const char* c : columns)
    std::printf(" %22s", c);
  std::printf("\n");
  for (const auto& p : problems) {
    std::printf("%-10s %10.6f", p.name, p.optimum);
    for (const char* c : columns) {
      double m = median(best[std::string(p.name) + " " + c]);
      char cell[64];
      std::snprintf(cell, sizeof cell, "%.4f (+%.4f)", m, m - p.optimum);
      std::printf(" %22s", cell);
    }
    std::printf("\n");
  }
  return 0;
}
