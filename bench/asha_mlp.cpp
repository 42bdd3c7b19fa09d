// bench_asha: issue benchmark (d) of the search benchmarks: the wall time for
// lagom's ASHA on the Fashion-MNIST MLP to reach the best test accuracy that
// Optuna 3.1 with SuccessiveHalvingPruner reaches at the same trial budget.
//
//   build/bench/bench_asha [--trials 16] [--train-limit 12000] [--reps 3]
//       [--seed 1]
//
// Both sides search lr double [1e-4, 1e-2] log, units integer [32, 256],
// dropout double [0, 0.5] for the same MLP (784-units-10, ReLU, dropout, batch
// 128, Adam, the first --train-limit training images, test accuracy on the
// 10,000 test images after every epoch), with resource = epochs at budgets 1,
// 2, 4 (reduction factor 2):
//   - Optuna (bench/peers/optuna_sha_mlp.py, /usr/bin/python3,
//     OPENBLAS_NUM_THREADS=1): RandomSampler, SuccessiveHalvingPruner
//     (min_resource 1, reduction factor 2), trials one after another in one
//     process with torch.set_num_threads(2), each trial trained on up to 4
//     epochs and pruned at epochs 1 and 2.
//   - lagom: cluster::search of `fashion_mnist_mlp` on an embedded cluster of
//     one node with 2 cpus, optimizer asha (rf 2, resource_min 1,
//     resource_max 4), resource "epochs", metric test_accuracy, max. Two
//     set-ups: one container of 2 cpus (sequential trials, 2 nn threads: the
//     like-for-like one against Optuna's 2 torch threads) and two containers
//     of 1 cpu (ASHA's asynchronous case). A promotion is a trial of its own
//     (it counts against --trials, as Optuna's trials do) that goes on from
//     its parent trial's checkpoint, so it trains only the epochs its budget
//     adds; the data set is read once per process (fashion_mnist.cpp).
//
// "Best so far" on each side is the best test accuracy of any evaluation so
// far (every epoch's, pruned trials' included: lagom's from the search's
// report events, Optuna's from trial.report). The target of a repetition is
// the best Optuna reached in it; each side's time to target is the wall time
// from the start of its search (lagom: cluster::search called on a running
// cluster; Optuna: after its imports, before its data is loaded) to the
// first evaluation at or above it. Repetitions rotate the order of the three runs; the table gives
// medians and the median of the per-repetition ratios.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "bench_cluster.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty())
    return NAN;
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// One side's run: (seconds since its start, best accuracy so far) at each
// evaluation, and totals.
struct run_out {
  std::vector<std::pair<double, double>> timeline;
  double total = 0;
  double best = 0;
  uint32_t trials = 0;   // trials run (lagom: promotions included)
  uint32_t configs = 0;  // configurations sampled
  uint32_t epochs = 0;   // epochs trained (evaluations), over all trials
};

// Seconds until the best so far first reached `target`; NAN if never.
double time_to(const run_out& r, double target) {
  for (auto& [t, b] : r.timeline)
    if (b >= target - 1e-9)
      return t;
  return NAN;
}

struct settings {
  uint32_t trials = 16;
  uint32_t train_limit = 12000;
  uint32_t reps = 3;
  uint64_t seed = 1;
};

bool optuna_run(const settings& s, uint64_t seed, run_out& out) {
  std::string cmd = "OPENBLAS_NUM_THREADS=1 /usr/bin/python3 " LAGOM_SOURCE_DIR
                    "/bench/peers/optuna_sha_mlp.py --threads 2 --trials " +
                    std::to_string(s.trials) + " --train-limit " +
                    std::to_string(s.train_limit) + " --seed " + std::to_string(seed);
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr)
    return false;
  char line[512];
  bool done = false;
  while (std::fgets(line, sizeof line, p) != nullptr) {
    double t = 0, acc = 0, best = 0, cbest = 0;
    unsigned trial = 0, epoch = 0, trials = 0, pruned = 0, epochs = 0;
    char state[32] = {0};
    if (std::sscanf(line, "EVAL t=%lf trial=%u epoch=%u acc=%lf best=%lf", &t, &trial, &epoch,
                    &acc, &best) == 5) {
      out.timeline.emplace_back(t, best);
    } else if (std::sscanf(line, "TRIAL t=%lf trial=%u state=%31s epochs=%u best=%lf", &t,
                           &trial, state, &epoch, &best) == 5) {
      std::fprintf(stderr, "  optuna   %6.1fs  trial %2u %-8s %u epoch(s)  best %.4f\n", t,
                   trial, state, epoch, best);
    } else if (std::sscanf(line,
                           "DONE total=%lf best=%lf complete_best=%lf trials=%u pruned=%u "
                           "epochs=%u",
                           &t, &best, &cbest, &trials, &pruned, &epochs) == 6) {
      out.total = t;
      out.best = best;
      out.trials = out.configs = trials;
      out.epochs = epochs;
      done = true;
    }
  }
  int rc = ::pclose(p);
  return done && rc == 0;
}

bool lagom_run(lagom::cluster& c, const settings& s, uint64_t seed, uint32_t containers,
               const std::string& name, run_out& out) {
  lagom::searchspace space;
  if (auto st = lagom::searchspace::parse(
          "lr: double [1e-4, 1e-2] log; units: integer [32, 256]; dropout: double [0, 0.5]",
          space);
      !st) {
    std::fprintf(stderr, "bench_asha: %s\n", st.to_string().c_str());
    return false;
  }
  lagom::search_options so;
  so.optimizer = "asha";
  so.optimizer_settings.set("reduction_factor", 2.0);
  so.optimizer_settings.set("resource_min", 1.0);
  so.optimizer_settings.set("resource_max", 4.0);
  so.resource = "epochs";
  so.num_trials = s.trials;
  so.metric = "test_accuracy";
  so.direction = "max";
  so.seed = seed;
  so.containers = containers;
  so.cpus = 2 / containers;
  so.params.set("train_limit", double(s.train_limit));
  so.params.set("batch_size", 128.0);
  so.name = name;

  std::mutex mu;
  bool has_best = false;
  double best = 0;
  auto t0 = clock_type::now();
  const char* label = containers == 1 ? "lagom 1x2" : "lagom 2x1";
  lagom::search_watch w;
  w.plot_dir = "-";
  w.on_progress = [&](const lagom::search_progress& p) {
    double t = std::chrono::duration<double>(clock_type::now() - t0).count();
    std::lock_guard<std::mutex> lock(mu);
    if (p.kind == lagom::search_progress::report) {
      if (!has_best || p.reported > best) {
        has_best = true;
        best = p.reported;
      }
      out.timeline.emplace_back(t, best);
      ++out.epochs;  // one test_accuracy report per epoch trained
    } else if (p.kind == lagom::search_progress::trial_ended && p.trial != nullptr) {
      std::fprintf(stderr, "  %s %6.1fs  trial %2u %-8s budget %g  best %.4f\n", label, t,
                   p.trial->id, to_string(p.trial->status), p.trial->budget, best);
    }
  };
  lagom::search_result r;
  auto st = c.search("fashion_mnist_mlp", space, so, r, w);
  out.total = std::chrono::duration<double>(clock_type::now() - t0).count();
  if (!st) {
    std::fprintf(stderr, "bench_asha: %s\n", st.to_string().c_str());
    return false;
  }
  std::lock_guard<std::mutex> lock(mu);
  out.best = best;
  out.trials = r.num_trials;
  for (auto& t : r.trials) {
    if (t.status == lagom::run_status::finished && t.budget <= 1.0 + 1e-9)
      ++out.configs;
  }
  if (r.failed > 0)
    std::fprintf(stderr, "bench_asha: %u trial(s) failed\n", r.failed);
  return true;
}

std::string show(double v, const char* f) {
  if (std::isnan(v))
    return "-";
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

} // namespace

int main(int argc, char** argv) {
  settings s;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--trials") s.trials = std::atoi(argv[i + 1]);
    else if (k == "--train-limit") s.train_limit = std::atoi(argv[i + 1]);
    else if (k == "--reps") s.reps = std::atoi(argv[i + 1]);
    else if (k == "--seed") s.seed = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "bench_asha: unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "bench_asha: flag %s needs a value\n", argv[argc - 1]);
    return 2;
  }
  lagom::bench::bench_cluster c("bench_asha");

  // Per case (0 optuna, 1 lagom 1x2, 2 lagom 2x1): per repetition.
  const char* names[3] = {"optuna SHA (random, 2 threads)", "lagom asha, 1 container x 2 cpus",
                          "lagom asha, 2 containers x 1 cpu"};
  std::vector<double> best[3], to_target[3], total[3], epochs[3], configs[3], ratio[3];
  std::vector<double> targets;
  uint32_t reached[3] = {0, 0, 0};
  for (uint32_t rep = 0; rep < s.reps; ++rep) {
    uint64_t seed = s.seed + rep;
    run_out out[3];
    for (int j = 0; j < 3; ++j) {
      int which = (rep + j) % 3;  // rotate the order across repetitions
      std::fprintf(stderr, "repetition %u/%u: %s\n", rep + 1, s.reps, names[which]);
      bool ok = which == 0
                    ? optuna_run(s, seed, out[0])
                    : lagom_run(*c, s, seed, which == 1 ? 1 : 2,
                                "asha-" + std::to_string(rep) + "-" + std::to_string(which),
                                out[which]);
      if (!ok) {
        std::fprintf(stderr, "bench_asha: %s failed\n", names[which]);
        return 1;
      }
    }
    double target = out[0].best;
    targets.push_back(target);
    double optuna_t = time_to(out[0], target);
    for (int k = 0; k < 3; ++k) {
      double t = time_to(out[k], target);
      best[k].push_back(out[k].best);
      total[k].push_back(out[k].total);
      epochs[k].push_back(out[k].epochs);
      configs[k].push_back(out[k].configs);
      if (!std::isnan(t)) {
        ++reached[k];
        to_target[k].push_back(t);
        ratio[k].push_back(optuna_t / t);
      }
    }
  }

  std::printf("(d) ASHA on the Fashion-MNIST MLP: %u trials, train_limit %u, epochs 1/2/4 "
              "(rf 2), target = Optuna's best, %u repetition(s), medians\n",
              s.trials, s.train_limit, s.reps);
  std::printf("%-34s %9s %8s %12s %9s %7s %7s %13s\n", "case", "best acc", "reached",
              "to target s", "total s", "configs", "epochs", "optuna/lagom");
  for (int k = 0; k < 3; ++k) {
    std::string reach = std::to_string(reached[k]) + "/" + std::to_string(s.reps);
    std::printf("%-34s %9.4f %8s %12s %9.1f %7.0f %7.0f %13s\n", names[k], median(best[k]),
                reach.c_str(), show(median(to_target[k]), "%.1f").c_str(), median(total[k]),
                median(configs[k]), median(epochs[k]),
                k == 0 ? "" : show(median(ratio[k]), "%.2fx").c_str());
  }
  return 0;
}
