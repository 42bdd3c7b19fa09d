// ddp_sgd_probe: checks from inside a data-parallel job that its ranks train
// as one rank would (README, data-parallel training):
//
//   all_reduce ddp_sgd_probe workers=2 backend=gloo [sync_bn=true] [steps=S]
//
// A small conv net with BatchNorm (spatial, fused with its maxpool, and over
// dense rows), synthetic data from a fixed seed (rank r's samples shifted by
// 2r, so per-rank batch statistics differ from the global batch's), SGD with
// momentum, no dropout. Each step the global batch of 4 x world samples is
// split among the ranks (4 each) and trained through nn::data_parallel over
// the job's communicator. Every rank then trains the same steps alone, on
// the whole global batch, and returns:
//   max_diff   the largest |parameter - the one-rank reference's|
//   moved      the largest |parameter - its initial value| (the check is not vacuous)
//   world_size
// With sync_bn=true max_diff is rounding (~1e-6); without it BatchNorm
// normalises each rank's own batch and max_diff is large.
#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "lagom/train.hpp"
#include "nn/data_parallel.hpp"

namespace {

namespace nn = lagom::nn;

std::unique_ptr<nn::model> make(int batch) {
  nn::model_spec s;
  s.channels = 1, s.height = 8, s.width = 8;
  using L = nn::layer_spec;
  s.layers = {L::conv2d(4), L::batchnorm(), L::maxpool2d(), L::flatten(),
              L::dense(16, true), L::batchnorm(), L::dense(5)};
  nn::model_options o;
  o.max_batch = batch;
  o.seed = 7;
  std::unique_ptr<nn::model> m;
  if (auto st = nn::make_model(s, o, &m); !st)
    throw std::runtime_error(st.to_string());
  return m;
}

void check(const lagom::status& st) {
  if (!st)
    throw std::runtime_error(st.to_string());
}

lagom::named_values ddp_sgd_probe(lagom::train_context& ctx) {
  const int world = static_cast<int>(ctx.world_size()), rank = static_cast<int>(ctx.rank());
  const int per = 4, global = per * world;
  const int steps = static_cast<int>(ctx.param("steps", 5.0));
  // every rank makes the same data: sample i belongs to rank (i % global) / per
  std::mt19937 rng(21);
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<float> x(size_t(global) * steps * 64);
  std::vector<int> y(size_t(global) * steps);
  for (size_t i = 0; i < y.size(); ++i) {
    for (int k = 0; k < 64; ++k)
      x[i * 64 + k] = g(rng) + 2.f * float((int(i) % global) / per);
    y[i] = int(rng() % 5);
  }
  nn::sgd_config sc;
  sc.lr = 0.02f; // small steps: rounding differences stay ~1e-6
  sc.momentum = 0.9f;

  auto m = make(per);
  std::vector<float> start(m->params(), m->params() + m->param_count());
  nn::sgd opt(m->param_count(), sc);
  nn::ddp_options o;
  o.bucket_mb = ctx.data_parallel().bucket_mb;
  o.first_bucket_mb = 1024.0 / (1 << 20); // several buckets even for this small net
  o.sync_bn = ctx.data_parallel().sync_bn;
  std::unique_ptr<nn::data_parallel> dp;
  check(nn::data_parallel::make(*m, ctx.communicator(), o, &dp, ctx.trace()));
  check(dp->broadcast_state(&opt));
  for (int s = 0; s < steps; ++s) {
    const size_t at = size_t(s) * global + size_t(rank) * per;
    check(dp->train_step(nn::tensor::view(x.data() + at * 64, nn::shape{per, 1, 8, 8}),
                         y.data() + at, opt));
  }

  auto ref = make(global);
  nn::sgd ref_opt(ref->param_count(), sc);
  for (int s = 0; s < steps; ++s) {
    const size_t at = size_t(s) * global;
    ref->zero_grad();
    check(ref->forward(nn::tensor::view(x.data() + at * 64, nn::shape{global, 1, 8, 8}),
                       y.data() + at, nn::mode::train));
    check(ref->backward());
    ref_opt.step(ref->params(), ref->grads());
  }
  double diff = 0, moved = 0;
  for (size_t i = 0; i < m->param_count(); ++i) {
    diff = std::max(diff, double(std::fabs(m->params()[i] - ref->params()[i])));
    moved = std::max(moved, double(std::fabs(m->params()[i] - start[i])));
  }
  lagom::named_values out;
  out.set("max_diff", diff);
  out.set("moved", moved);
  out.set("world_size", double(world));
  return out;
}

} // namespace

LAGOM_TRAIN_FN_WITH_PARAMS("ddp_sgd_probe", ddp_sgd_probe, {
  lagom::param_spec::integer("steps", 5, 1, 1000, "SGD steps"),
});
