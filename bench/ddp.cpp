// bench_ddp: data-parallel scaling efficiency of the Fashion-MNIST CNN, lagom
// against PyTorch DDP (gloo), on this machine.
//
//   ./build/bench/bench_ddp [--steps N] [--batch N] [--reps N] [--no-peer]
//
// Each setting trains the CNN (Adam, dropout on, batch `batch` per rank, random
// data) for `steps` timed steps after 3 warm-up steps, every rank a process of
// its own with 1 compute thread: 1 rank, then 2 ranks whose gradients are
// all-reduced (lagom: nn::data_parallel over the shared-memory communicator,
// buckets of 1 MiB then 25 MiB during backward; the peer: torch DDP with the
// gloo backend, bench/peers/torch_ddp_cnn.py run with /usr/bin/python3).
// Efficiency = samples/s with 2 ranks / (2 x samples/s with 1 rank). lagom and
// the peer alternate, `reps` times; the medians are printed with the ratio.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "collective/shm_communicator.hpp"
#include "nn/cpu/kernels.hpp"
#include "nn/data_parallel.hpp"

namespace nn = lagom::nn;

namespace {

// One rank: returns its samples/s over the timed steps (through a pipe).
double rank_main(uint32_t rank, uint32_t world, int steps, int batch, const std::string& job) {
  nn::cpu::set_num_threads(1);
  std::unique_ptr<lagom::collective::communicator> comm;
  if (world > 1) {
    lagom::collective::group_options o;
    o.job = job;
    o.rank = rank;
    o.world_size = world;
    lagom::status st;
    comm = lagom::collective::make_shm(o, st);
    if (!comm) {
      std::fprintf(stderr, "rank %u: %s\n", rank, st.to_string().c_str());
      return -1;
    }
  }
  nn::model_options mo;
  mo.max_batch = batch;
  mo.seed = 1;
  std::unique_ptr<nn::model> m;
  if (!nn::make_fashion_mnist_cnn(mo, &m))
    return -1;
  nn::adam opt(m->param_count());
  std::unique_ptr<nn::data_parallel> dp;
  if (!nn::data_parallel::make(*m, comm.get(), nn::ddp_options{}, &dp) ||
      !dp->broadcast_state(&opt))
    return -1;
  std::mt19937 rng(7 + rank);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> x(size_t(batch) * 784);
  std::vector<int> y(batch);
  for (auto& v : x) v = u(rng);
  for (auto& v : y) v = int(rng() % 10);
  auto t = nn::tensor::view(x.data(), nn::shape{batch, 1, 28, 28});
  std::chrono::steady_clock::time_point t0;
  for (int s = 0; s < steps + 3; ++s) {
    if (s == 3) {
      if (comm)
        comm->barrier();
      t0 = std::chrono::steady_clock::now();
    }
    if (!dp->train_step(t, y.data(), opt))
      return -1;
  }
  if (comm)
    comm->barrier();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return double(steps) * batch * world / secs; // the group's samples/s
}

// Forks `world` ranks; rank 0's figure.
double run_lagom(uint32_t world, int steps, int batch, int rep) {
  int fds[2];
  if (pipe(fds) != 0)
    return -1;
  const std::string job = "bench-ddp-" + std::to_string(getpid()) + "-" + std::to_string(rep) +
                          "-" + std::to_string(world);
  std::vector<pid_t> kids;
  for (uint32_t r = 0; r < world; ++r) {
    pid_t p = fork();
    if (p == 0) {
      double v = rank_main(r, world, steps, batch, job);
      if (r == 0)
        (void)!write(fds[1], &v, sizeof v);
      _exit(v < 0 ? 1 : 0);
    }
    kids.push_back(p);
  }
  double v = -1;
  (void)!read(fds[0], &v, sizeof v);
  for (pid_t p : kids)
    waitpid(p, nullptr, 0);
  close(fds[0]);
  close(fds[1]);
  return v;
}

double run_peer(uint32_t world, int steps, int batch) {
  std::string cmd = "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 " LAGOM_SOURCE_DIR
                    "/bench/peers/torch_ddp_cnn.py --world " + std::to_string(world) +
                    " --steps " + std::to_string(steps) + " --batch " + std::to_string(batch);
  FILE* f = popen(cmd.c_str(), "r");
  if (!f)
    return -1;
  double v = -1;
  if (std::fscanf(f, "%lf", &v) != 1)
    v = -1;
  pclose(f);
  return v;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  int steps = 30, batch = 64, reps = 3;
  bool peer = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--steps" && i + 1 < argc) steps = std::atoi(argv[++i]);
    else if (a == "--batch" && i + 1 < argc) batch = std::atoi(argv[++i]);
    else if (a == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
    else if (a == "--no-peer") peer = false;
    else {
      std::fprintf(stderr, "usage: bench_ddp [--steps N] [--batch N] [--reps N] [--no-peer]\n");
      return 2;
    }
  }
  std::vector<double> l1, l2, p1, p2, le, pe;
  for (int r = 0; r < reps; ++r) {
    double a = run_lagom(1, steps, batch, r), b = run_lagom(2, steps, batch, r);
    l1.push_back(a), l2.push_back(b), le.push_back(b / (2 * a));
    std::printf("rep %d  lagom: 1 rank %.0f samples/s, 2 ranks %.0f samples/s, efficiency %.3f\n",
                r, a, b, b / (2 * a));
    if (peer) {
      double c = run_peer(1, steps, batch), d = run_peer(2, steps, batch);
      p1.push_back(c), p2.push_back(d), pe.push_back(d / (2 * c));
      std::printf("rep %d  torch: 1 rank %.0f samples/s, 2 ranks %.0f samples/s, efficiency %.3f\n",
                  r, c, d, d / (2 * c));
    }
    std::fflush(stdout);
  }
  std::printf("\nCNN, batch %d per rank, 1 thread per rank, %d steps, median of %d\n", batch,
              steps, reps);
  std::printf("lagom  1 rank %8.0f  2 ranks %8.0f samples/s  scaling efficiency %.3f\n",
              median(l1), median(l2), median(le));
  if (peer) {
    std::printf("torch  1 rank %8.0f  2 ranks %8.0f samples/s  scaling efficiency %.3f\n",
                median(p1), median(p2), median(pe));
    std::printf("ratio lagom/torch: 2-rank samples/s %.2fx, efficiency %.2fx\n",
                median(l2) / median(p2), median(le) / median(pe));
  }
  return 0;
}
