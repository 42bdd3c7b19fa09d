// hello_gpu: the seed workshop's "Hello from GPU" exercise. Every container
// reports where it runs: its node, its device ("cpu" or "cuda:N") and its rank,
// and does a little real work there (a sum over 2^20 values) to show it ran.
#include <cmath>
#include <numeric>
#include <vector>

#include <unistd.h>

#include "lagom/train.hpp"

namespace {

lagom::named_values hello_gpu(lagom::train_context& ctx) {
  std::vector<double> xs(1u << 20);
  std::iota(xs.begin(), xs.end(), 1.0);
  double sum = 0;
  for (double x : xs)
    sum += std::sqrt(x);
  lagom::named_values out;
  out.set("message", "Hello from " + ctx.device() + " on " + ctx.node() + ", rank "
                       + std::to_string(ctx.rank()) + "/" + std::to_string(ctx.world_size()));
  out.set("pid", static_cast<double>(::getpid()));
  out.set("sum_sqrt", sum);
  return out;
}

} // namespace

LAGOM_TRAIN_FN_WITH_PARAMS("hello_gpu", hello_gpu, {}); // takes no hyperparameters
