// bench_train: training speed and accuracy of lagom's Fashion-MNIST CNN and
// MLP against PyTorch 1.13 CPU (Debian's python3-torch) on the same data,
// batch 128, the same number of threads, in one run.
//
//   scripts/setup --bench && build/bench/bench_train [--threads 2] [--reps 3]
//       [--steps 150] [--epochs 2] [--quick]
//
// Speed: each repetition trains each model for --steps steps in lagom (the
// registered train functions fashion_mnist_cnn/_mlp, called directly with a
// train_context, train_limit = steps * 128) and in PyTorch
// (bench/peers/torch_fashion_mnist.py --steps), alternating which goes
// first; samples/s counts training steps only (batch assembly included, the
// test evaluation excluded) on both sides. Reported: medians and the median
// of the per-repetition ratios lagom/torch. Accuracy: then each model is
// trained for --epochs full epochs on both sides and evaluated on the 10,000
// test images. PyTorch runs with OPENBLAS_NUM_THREADS=1 and
// torch.set_num_threads(threads); lagom with `threads` kernel threads.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "lagom/train.hpp"

namespace {

struct result {
  double samples_per_s = 0, test_accuracy = 0;
  bool ok = false;
};

result run_lagom(const std::string& model, int threads, int steps, int epochs) {
  auto fns = lagom::function_registry::from_linked();
  auto fn = fns.lookup("fashion_mnist_" + model);
  lagom::named_values p;
  p.set("epochs", static_cast<double>(epochs));
  if (steps > 0)
    p.set("train_limit", static_cast<double>(steps * 128));
  p.set("report_every", 100000.0);
  result r;
  if (fn == nullptr) {
    std::fprintf(stderr, "bench_train: no function fashion_mnist_%s\n", model.c_str());
    return r;
  }
  if (auto st = lagom::check_params(fn->name, fn->params, p); !st) {
    std::fprintf(stderr, "bench_train: %s\n", st.to_string().c_str());
    return r;
  }
  lagom::train_context::placement where;
  where.cpus = static_cast<uint32_t>(threads);
  lagom::train_context ctx{where, p};
  auto out = fn->fn(ctx);
  r.samples_per_s = out.number("samples_per_s", 0);
  r.test_accuracy = out.number("test_accuracy", 0);
  r.ok = r.samples_per_s > 0;
  return r;
}

result run_torch(const std::string& model, int threads, int steps, int epochs,
                 const std::string& script) {
  std::string cmd = "OPENBLAS_NUM_THREADS=1 /usr/bin/python3 " + script + " --model " + model
                    + " --threads " + std::to_string(threads) + " --epochs "
                    + std::to_string(epochs)
                    + (steps > 0 ? " --steps " + std::to_string(steps) : "") + " 2>&1";
  result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr)
    return r;
  char line[512];
  while (std::fgets(line, sizeof(line), p) != nullptr) {
    double sps = 0, acc = 0;
    if (std::sscanf(line, "RESULT model=%*s samples_per_s=%lf test_accuracy=%lf", &sps, &acc)
        == 2) {
      r = {sps, acc, true};
    } else if (!r.ok) {
      std::fprintf(stderr, "torch: %s", line);
    }
  }
  ::pclose(p);
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  int threads = 2, reps = 3, steps = 150, epochs = 2;
  std::string script = LAGOM_SOURCE_DIR "/bench/peers/torch_fashion_mnist.py";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (a == "--threads") threads = std::max(1, next());
    else if (a == "--reps") reps = std::max(1, next());
    else if (a == "--steps") steps = std::max(1, next());
    else if (a == "--epochs") epochs = std::max(0, next());
    else if (a == "--quick") { reps = 1; steps = 40; epochs = 0; }
    else {
      std::fprintf(stderr, "usage: %s [--threads N] [--reps R] [--steps S] [--epochs E] [--quick]\n",
                   argv[0]);
      return 2;
    }
  }
  std::printf("bench_train: batch 128, %d threads, %d reps x %d steps, then %d epochs\n",
              threads, reps, steps, epochs);
  std::printf("%-5s %14s %14s %8s %10s %10s\n", "model", "lagom samp/s", "torch samp/s",
              "ratio", "lagom acc", "torch acc");
  int rc = 0;
  for (std::string model : {"cnn", "mlp"}) {
    std::vector<double> ls, ts, ratio;
    for (int r = 0; r < reps; ++r) {
      result a, b;
      if (r % 2 == 0) {
        a = run_lagom(model, threads, steps, 1);
        b = run_torch(model, threads, steps, 1, script);
      } else {
        b = run_torch(model, threads, steps, 1, script);
        a = run_lagom(model, threads, steps, 1);
      }
      if (!a.ok || !b.ok) {
        std::fprintf(stderr, "bench_train: a %s run failed\n", model.c_str());
        return 1;
      }
      std::fprintf(stderr, "  %s rep %d: lagom %.0f, torch %.0f samples/s\n", model.c_str(), r,
                   a.samples_per_s, b.samples_per_s);
      ls.push_back(a.samples_per_s);
      ts.push_back(b.samples_per_s);
      ratio.push_back(a.samples_per_s / b.samples_per_s);
    }
    result la, ta;
    if (epochs > 0) {
      la = run_lagom(model, threads, 0, epochs);
      ta = run_torch(model, threads, 0, epochs, script);
      rc |= !(la.ok && ta.ok);
    }
    std::printf("%-5s %14.0f %14.0f %8.2f %10.4f %10.4f\n", model.c_str(), median(ls),
                median(ts), median(ratio), la.test_accuracy, ta.test_accuracy);
    std::fflush(stdout);
  }
  return rc;
}
