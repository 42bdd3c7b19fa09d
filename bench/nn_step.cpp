// bench_nn_step: samples/s of one training step (forward + backward + Adam)
// of the Fashion-MNIST CNN and the MLP at batch 128 on random data.
//
//   ./build/bench/bench_nn_step [--threads N] [--steps N] [--batch N] [--units N]
//
// Prints, per model, the median step time over the timed steps and samples/s
// (batch / median). The first steps are warm-up (page faults, thread pools).
// The PyTorch peer runs the same models; see bench/README.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "nn/cpu/kernels.hpp"
#include "nn/model.hpp"
#include "nn/optimizer.hpp"

namespace nn = lagom::nn;

// --profile: a kernel table whose entries time the cpu kernels they call.
namespace prof {
struct entry { const char* name; double ms = 0; long calls = 0; };
std::vector<entry> entries(32);
template <int ID, auto F> struct timed;
template <int ID, typename R, typename... A, R (*F)(A...)> struct timed<ID, F> {
  static R call(A... a) {
    const auto t0 = std::chrono::steady_clock::now();
    struct done {
      std::chrono::steady_clock::time_point t0;
      ~done() {
        entries[ID].ms += std::chrono::duration<double, std::milli>(
                              std::chrono::steady_clock::now() - t0).count();
        ++entries[ID].calls;
      }
    } d{t0};
    return F(a...);
  }
};
#define LAGOM_TIMED(ID, op) (entries[ID].name = #op, &timed<ID, &nn::cpu::op>::call)
nn::kernels table() {
  nn::kernels k = nn::cpu_kernels();
  k.conv2d_forward = LAGOM_TIMED(0, conv2d_forward);
  k.conv2d_backward = LAGOM_TIMED(1, conv2d_backward);
  k.batchnorm_forward = LAGOM_TIMED(2, batchnorm_forward);
  k.batchnorm_backward = LAGOM_TIMED(3, batchnorm_backward);
  k.maxpool2d_forward = LAGOM_TIMED(4, maxpool2d_forward);
  k.maxpool2d_backward = LAGOM_TIMED(5, maxpool2d_backward);
  k.dropout_forward = LAGOM_TIMED(6, dropout_forward);
  k.dropout_backward = LAGOM_TIMED(7, dropout_backward);
  k.dense_forward = LAGOM_TIMED(8, dense_forward);
  k.dense_backward = LAGOM_TIMED(9, dense_backward);
  k.relu_backward = LAGOM_TIMED(10, relu_backward);
  k.nchw_from_cnhw = LAGOM_TIMED(11, nchw_from_cnhw);
  k.cnhw_from_nchw = LAGOM_TIMED(12, cnhw_from_nchw);
  k.softmax_crossentropy_forward = LAGOM_TIMED(13, softmax_crossentropy_forward);
  k.softmax_crossentropy_backward = LAGOM_TIMED(14, softmax_crossentropy_backward);
  k.adam_update = LAGOM_TIMED(15, adam_update);
  k.batchnorm_maxpool_forward = LAGOM_TIMED(16, batchnorm_maxpool_forward);
  k.batchnorm_maxpool_backward = LAGOM_TIMED(17, batchnorm_maxpool_backward);
  k.relu_forward = LAGOM_TIMED(18, relu_forward);
  return k;
}
void report(int steps) {
  for (entry& e : entries)
    if (e.calls)
      std::printf("  %-30s %8.3f ms/step  (%ld calls)\n", e.name, e.ms / steps, e.calls);
  for (entry& e : entries) e.ms = 0, e.calls = 0;
}
} // namespace prof

static bool profile = false;

static double bench(nn::model& m, int B, int steps, const char* label) {
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  const nn::shape in{B, m.spec().channels, m.spec().height, m.spec().width};
  nn::tensor x(in);
  for (size_t i = 0; i < x.count(); ++i) x.data()[i] = normal(rng);
  std::vector<int> y(B);
  for (int& t : y) t = int(rng() % unsigned(m.classes()));
  nn::adam opt(m.param_count(), {}, *m.backend());
  std::vector<double> ms;
  const int warmup = 5;
  for (int s = 0; s < warmup + steps; ++s) {
    const auto t0 = std::chrono::steady_clock::now();
    m.zero_grad();
    if (auto st = m.forward(x, y.data(), nn::mode::train); !st) {
      std::fprintf(stderr, "forward: %s\n", st.to_string().c_str());
      std::exit(1);
    }
    if (auto st = m.backward(); !st) {
      std::fprintf(stderr, "backward: %s\n", st.to_string().c_str());
      std::exit(1);
    }
    opt.step(m.params(), m.grads());
    const auto t1 = std::chrono::steady_clock::now();
    if (s >= warmup)
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  if (profile)
    prof::report(warmup + steps);
  std::sort(ms.begin(), ms.end());
  const double med = ms[ms.size() / 2];
  std::printf("%-4s batch %d  params %zu  step median %.2f ms (min %.2f, max %.2f)  "
              "%.0f samples/s  loss %.3f\n",
              label, B, m.param_count(), med, ms.front(), ms.back(), B * 1000.0 / med,
              m.loss());
  return B * 1000.0 / med;
}

int main(int argc, char** argv) {
  int threads = 0, steps = 30, B = 128, units = 128;
  std::string only;
  for (int i = 1; i < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--profile") { profile = true; --i; continue; }
    if (i + 1 >= argc) { std::fprintf(stderr, "%s needs a value\n", argv[i]); return 2; }
    if (a == "--threads") threads = std::atoi(argv[i + 1]);
    else if (a == "--steps") steps = std::atoi(argv[i + 1]);
    else if (a == "--batch") B = std::atoi(argv[i + 1]);
    else if (a == "--units") units = std::atoi(argv[i + 1]);
    else if (a == "--only") only = argv[i + 1];
    else { std::fprintf(stderr, "unknown flag %s\n", argv[i]); return 2; }
  }
  nn::cpu::set_num_threads(threads);
  std::printf("threads %d\n", nn::cpu::num_threads());
  nn::model_options opt;
  opt.max_batch = B;
  opt.seed = 1;
  static const nn::kernels timed = prof::table();
  if (profile)
    opt.backend = &timed;
  std::unique_ptr<nn::model> cnn, mlp;
  if (only.empty() || only == "cnn") {
    if (auto st = nn::make_fashion_mnist_cnn(opt, &cnn); !st) return 1;
    bench(*cnn, B, steps, "cnn");
  }
  if (only.empty() || only == "mlp") {
    if (auto st = nn::make_mlp(784, units, 0.2f, 10, opt, &mlp); !st) return 1;
    bench(*mlp, B, steps * 10, "mlp");
  }
}
