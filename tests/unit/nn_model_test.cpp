// runtime/nn model, optimizers and checkpoints: spec validation, the flat
// blocks, a whole-model gradient check, hand-computed optimizer steps,
// training on separable data, and state save/load.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "nn/checkpoint.hpp"
#include "nn/model.hpp"
#include "nn/optimizer.hpp"

namespace nn = lagom::nn;
using L = nn::layer_spec;
using lagom::errc;

namespace {

std::unique_ptr<nn::model> build(const nn::model_spec& spec, int max_batch, uint64_t seed) {
  nn::model_options opt;
  opt.max_batch = max_batch;
  opt.seed = seed;
  std::unique_ptr<nn::model> m;
  const lagom::status st = nn::make_model(spec, opt, &m);
  INFO(st.to_string());
  REQUIRE(st.is_ok());
  return m;
}

// A tiny CNN with every layer kind and a 2-channel input (NCHW -> channel-major):
// batchnorm fused with the maxpool after it, alone on an image, and on features.
nn::model_spec tiny_cnn() {
  nn::model_spec s;
  s.channels = 2, s.height = 6, s.width = 6;
  s.layers = {L::conv2d(3), L::batchnorm(), L::maxpool2d(), L::dropout(0.25f),
              L::conv2d(4), L::batchnorm(), L::flatten(), L::dense(5, true),
              L::batchnorm(), L::relu_layer(), L::dropout(0.5f), L::dense(3)};
  return s;
}

// Labelled points: class k is centred at +3 on feature k, noise sd 0.5.
void blobs(int B, int features, int classes, uint32_t seed, std::vector<float>& x,
           std::vector<int>& y) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.f, 0.5f);
  x.assign(size_t(B) * features, 0.f);
  y.assign(B, 0);
  for (int b = 0; b < B; ++b) {
    y[b] = int(rng() % unsigned(classes));
    for (int f = 0; f < features; ++f)
      x[size_t(b) * features + f] = noise(rng) + (f == y[b] ? 3.f : 0.f);
  }
}

} // namespace

TEST_CASE("the workshop CNN and the MLP have the expected parameter blocks", "[nn][model]") {
  auto cnn = build(nn::fashion_mnist_cnn_spec(), 8, 1);
  // conv 32*9+32, bn 2*32, conv 64*288+64, bn 2*64, dense 3136*128+128, dense 128*10+10
  CHECK(cnn->param_count() == 320 + 64 + 18496 + 128 + 401536 + 1290);
  CHECK(cnn->param_bytes() == cnn->param_count() * 4);
  CHECK(cnn->stats_count() == 2 * (32 + 64));
  CHECK(cnn->classes() == 10);
  size_t next = 0;
  for (const nn::param_info& p : cnn->param_layout()) {
    CHECK(p.offset == next); // views tile the block in layer order
    next += p.count;
  }
  CHECK(next == cnn->param_count());
  CHECK(cnn->param_layout().front().name == "0.conv2d.weight");
  CHECK(cnn->param_layout()[8].dims == nn::shape{128, 3136, 1, 1});
  auto mlp = build(nn::mlp_spec(784, 128, 0.2f, 10), 8, 1);
  CHECK(mlp->param_count() == 784 * 128 + 128 + 128 * 10 + 10);
  CHECK(mlp->stats_count() == 0);
}

TEST_CASE("initialisation is seeded: He before ReLU, Glorot last, BN gamma 1", "[nn][model]") {
  auto a = build(nn::fashion_mnist_cnn_spec(), 4, 7), b = build(nn::fashion_mnist_cnn_spec(), 4, 7),
       c = build(nn::fashion_mnist_cnn_spec(), 4, 8);
  const std::vector<float> pa(a->params(), a->params() + a->param_count()),
      pb(b->params(), b->params() + b->param_count()),
      pc(c->params(), c->params() + c->param_count());
  CHECK(pa == pb);
  CHECK(pa != pc);
  const auto& lay = a->param_layout();
  auto all_within = [&](size_t i, double bound) {
    float mx = 0;
    for (size_t j = 0; j < lay[i].count; ++j)
      mx = std::max(mx, std::fabs(a->params()[lay[i].offset + j]));
    return mx <= bound && mx > 0.8 * bound;
  };
  CHECK(all_within(0, std::sqrt(6.0 / 9)));                 // conv1: He, fan_in 9
  CHECK(all_within(10, std::sqrt(6.0 / (128 + 10))));       // last dense: Glorot
  for (size_t j = 0; j < lay[1].count; ++j) CHECK(a->params()[lay[1].offset + j] == 0.f);
  for (size_t j = 0; j < lay[2].count; ++j) CHECK(a->params()[lay[2].offset + j] == 1.f);
}

TEST_CASE("fan_in_uniform draws weights and biases within 1/sqrt(fan_in)", "[nn][model]") {
  nn::model_options opt;
  opt.max_batch = 4;
  opt.seed = 7;
  opt.init = nn::init_scheme::fan_in_uniform;
  std::unique_ptr<nn::model> m;
  REQUIRE(nn::make_model(nn::fashion_mnist_cnn_spec(), opt, &m).is_ok());
  const auto& lay = m->param_layout();
  auto max_abs = [&](size_t i) {
    float mx = 0;
    for (size_t j = 0; j < lay[i].count; ++j)
      mx = std::max(mx, std::fabs(m->params()[lay[i].offset + j]));
    return mx;
  };
  CHECK(max_abs(0) <= 1.0 / 3 + 1e-6);  // conv1 weight, fan_in 9
  CHECK(max_abs(0) > 0.8 / 3);
  CHECK(max_abs(1) > 0.f);              // conv1 bias is drawn too, not zero
  CHECK(max_abs(1) <= 1.0 / 3 + 1e-6);
  for (size_t j = 0; j < lay[2].count; ++j)
    CHECK(m->params()[lay[2].offset + j] == 1.f);  // BN gamma stays 1
}

TEST_CASE("bad specs and bad inputs are status errors", "[nn][model]") {
  nn::model_options opt;
  std::unique_ptr<nn::model> m;
  nn::model_spec s;
  s.channels = 1, s.height = 4, s.width = 4;
  s.layers = {L::conv2d(2), L::dense(3)};
  lagom::status st = nn::make_model(s, opt, &m);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "layers[1].kind"); // dense on an image: needs flatten
  s.layers = {L::flatten(), L::conv2d(2), L::dense(3)};
  CHECK(nn::make_model(s, opt, &m).where() == "layers[1].kind");
  s.layers = {L::flatten(), L::dropout(1.f), L::dense(3)};
  CHECK(nn::make_model(s, opt, &m).where() == "layers[1].rate");
  s.layers = {L::conv2d(2, 4), L::flatten(), L::dense(3)};
  CHECK(nn::make_model(s, opt, &m).where() == "layers[0].kernel");
  s.layers = {L::flatten(), L::dense(3, true)};
  CHECK(nn::make_model(s, opt, &m).where() == "layers[1].kind");
  s.layers = {L::flatten(), L::dense(3)};
  opt.max_batch = 0;
  CHECK(nn::make_model(s, opt, &m).where() == "max_batch");
  CHECK(m == nullptr);

  auto mlp = build(nn::mlp_spec(6, 4, 0.f, 3), 4, 1);
  nn::tensor x(nn::shape{5, 6, 1, 1});
  std::vector<int> y(5, 0);
  CHECK(mlp->forward(x, y.data(), nn::mode::train).where() == "x.n"); // 5 > max_batch
  nn::tensor wrong(nn::shape{2, 7, 1, 1});
  CHECK(mlp->forward(wrong, y.data(), nn::mode::train).where() == "x");
  nn::tensor ok(nn::shape{2, 2, 3, 1}); // any (C, H, W) with 6 values
  y = {0, 3};
  CHECK(mlp->forward(ok, y.data(), nn::mode::train).where() == "targets[1]");
  CHECK(mlp->forward(ok, nullptr, nn::mode::train).where() == "targets");
  CHECK(mlp->backward().code() == errc::invalid_argument); // no train forward yet
  y = {0, 2};
  REQUIRE(mlp->forward(ok, y.data(), nn::mode::train).is_ok());
  CHECK(mlp->backward().is_ok());
  CHECK(mlp->backward().code() == errc::invalid_argument); // one backward per forward
  REQUIRE(mlp->forward(ok, nullptr, nn::mode::eval).is_ok());
  CHECK(mlp->backward().code() == errc::invalid_argument);
}

TEST_CASE("whole-model gradient check (every layer kind, fixed dropout masks)",
          "[nn][model][grad]") {
  auto m = build(tiny_cnn(), 4, 3);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  nn::tensor x(nn::shape{4, 2, 6, 6});
  for (size_t i = 0; i < x.count(); ++i) x.data()[i] = u(rng);
  const std::vector<int> y = {0, 2, 1, 2};
  // nonzero biases and BN betas, so no ReLU sits exactly at its kink
  for (size_t i = 0; i < m->param_count(); ++i) m->params()[i] += 0.05f * u(rng);
  auto loss = [&] {
    m->set_rng(m->seed(), 11); // the same dropout masks every time
    REQUIRE(m->forward(x, y.data(), nn::mode::train).is_ok());
    return double(m->loss());
  };
  loss();
  m->zero_grad();
  REQUIRE(m->backward().is_ok());
  const std::vector<float> analytic(m->grads(), m->grads() + m->param_count());
  std::vector<float> numeric(m->param_count());
  // small: a larger step lets some conv weights move a maxpool argmax or a ReLU
  // across its kink (seen at 1e-3 with the batchnorm on features), which is not
  // a gradient error
  const float h = 3e-4f;
  for (size_t i = 0; i < m->param_count(); ++i) {
    float& p = m->params()[i];
    const float keep = p;
    p = keep + h;
    const double up = loss();
    p = keep - h;
    const double down = loss();
    p = keep;
    numeric[i] = float((up - down) / (2 * h));
  }
  for (const nn::param_info& v : m->param_layout()) {
    double err = 0, scale = 1e-6;
    for (size_t j = v.offset; j < v.offset + v.count; ++j) {
      err = std::max(err, double(std::fabs(analytic[j] - numeric[j])));
      scale = std::max(scale, double(std::fabs(numeric[j])));
    }
    INFO(v.name << " max error " << err << " scale " << scale);

    CHECK(err / scale < 2e-2);
  }
}

TEST_CASE("backward reports each layer's gradients, last layer first", "[nn][model]") {
  auto m = build(tiny_cnn(), 2, 1);
  nn::tensor x(nn::shape{2, 2, 6, 6});
  const std::vector<int> y = {1, 0};
  REQUIRE(m->forward(x, y.data(), nn::mode::train).is_ok());
  std::vector<std::pair<size_t, size_t>> ready;
  REQUIRE(m->backward([&](size_t off, size_t n) { ready.emplace_back(off, n); }).is_ok());
  REQUIRE(ready.size() == 7); // conv, bn, conv, bn, dense, bn, dense
  size_t end = m->param_count();
  for (auto [off, n] : ready) { // contiguous, from the end of the block down to 0
    CHECK(off + n == end);
    end = off;
  }
  CHECK(end == 0);
}

TEST_CASE("eval: dropout is the identity and BN uses running stats", "[nn][model]") {
  auto m = build(tiny_cnn(), 4, 2);
  nn::tensor x(nn::shape{4, 2, 6, 6});
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (size_t i = 0; i < x.count(); ++i) x.data()[i] = u(rng);
  const std::vector<int> y = {0, 1, 2, 0};
  REQUIRE(m->forward(x, y.data(), nn::mode::train).is_ok());
  const float train1 = m->loss();
  REQUIRE(m->forward(x, y.data(), nn::mode::train).is_ok());
  CHECK(m->loss() != train1); // new dropout masks
  const std::vector<float> stats(m->stats(), m->stats() + m->stats_count());
  REQUIRE(m->forward(x, y.data(), nn::mode::eval).is_ok());
  const float eval1 = m->loss();
  const std::vector<float> p1(m->probs(), m->probs() + 12);
  // one sample alone gives the same probabilities: nothing depends on the batch
  nn::tensor one = nn::tensor::view(x.data() + 72, nn::shape{1, 2, 6, 6});
  REQUIRE(m->forward(one, nullptr, nn::mode::eval).is_ok());
  for (int j = 0; j < 3; ++j) CHECK(m->probs()[j] == Approx(p1[3 + j]).margin(1e-6));
  REQUIRE(m->forward(x, y.data(), nn::mode::eval).is_ok());
  CHECK(m->loss() == eval1);
  CHECK(std::vector<float>(m->stats(), m->stats() + m->stats_count()) == stats);
}

TEST_CASE("Adam and AdamW steps match a hand computation", "[nn][optimizer]") {
  nn::adam_config cfg;
  cfg.lr = 0.1f, cfg.beta1 = 0.9f, cfg.beta2 = 0.999f, cfg.eps = 1e-8f, cfg.weight_decay = 0.01f;
  nn::adam opt(2, cfg);
  std::vector<float> p = {1.f, -2.f};
  double ref[2] = {1, -2}, m[2] = {0, 0}, v[2] = {0, 0};
  const float grads[3][2] = {{0.5f, -0.1f}, {0.2f, 0.3f}, {-0.4f, 0.f}};
  for (int t = 1; t <= 3; ++t) {
    opt.step(p.data(), grads[t - 1]);
    for (int i = 0; i < 2; ++i) {
      const double g = grads[t - 1][i];
      m[i] = 0.9 * m[i] + 0.1 * g;
      v[i] = 0.999 * v[i] + 0.001 * g * g;
      const double mhat = m[i] / (1 - std::pow(0.9, t)), vhat = v[i] / (1 - std::pow(0.999, t));
      ref[i] = ref[i] - 0.1 * 0.01 * ref[i] - 0.1 * mhat / (std::sqrt(vhat) + 1e-8);
      CHECK(p[i] == Approx(ref[i]).epsilon(1e-6));
    }
  }
  CHECK(opt.steps() == 3);
  // the first plain Adam step moves each parameter by lr against the gradient's sign
  nn::adam plain(2, nn::adam_config{0.1f});
  std::vector<float> q = {1.f, -2.f};
  plain.step(q.data(), grads[0]);
  CHECK(q[0] == Approx(0.9f));
  CHECK(q[1] == Approx(-1.9f));
}

TEST_CASE("SGD with momentum (and Nesterov, weight decay) matches a hand computation",
          "[nn][optimizer]") {
  const float g1 = 0.5f, g2 = 0.25f;
  nn::sgd plain(1, nn::sgd_config{0.1f, 0.9f, false, 0.f});
  float p = 1.f;
  plain.step(&p, &g1);
  CHECK(p == Approx(0.95f)); // v = 0.5
  plain.step(&p, &g2);
  CHECK(p == Approx(0.88f)); // v = 0.9 * 0.5 + 0.25 = 0.7
  nn::sgd nesterov(1, nn::sgd_config{0.1f, 0.9f, true, 0.f});
  p = 1.f;
  nesterov.step(&p, &g1);
  CHECK(p == Approx(0.905f)); // g + mu v = 0.5 + 0.45
  nesterov.step(&p, &g2);
  CHECK(p == Approx(0.817f)); // 0.25 + 0.9 * 0.7
  nn::sgd decay(1, nn::sgd_config{0.1f, 0.f, false, 0.5f});
  p = 2.f;
  decay.step(&p, &g1); // g = 0.5 + 0.5 * 2
  CHECK(p == Approx(1.85f));
}

TEST_CASE("the MLP learns separable blobs with Adam, deterministically", "[nn][train]") {
  auto run = [](std::vector<float>& losses) {
    auto m = build(nn::mlp_spec(8, 16, 0.1f, 4), 32, 42);
    nn::adam opt(m->param_count(), nn::adam_config{0.01f});
    std::vector<float> x;
    std::vector<int> y;
    for (int step = 0; step < 80; ++step) {
      blobs(32, 8, 4, 1000 + step, x, y);
      nn::tensor xb = nn::tensor::view(x.data(), nn::shape{32, 8, 1, 1});
      m->zero_grad();
      REQUIRE(m->forward(xb, y.data(), nn::mode::train).is_ok());
      REQUIRE(m->backward().is_ok());
      opt.step(m->params(), m->grads());
      losses.push_back(m->loss());
    }
    blobs(32, 8, 4, 7, x, y);
    nn::tensor xb = nn::tensor::view(x.data(), nn::shape{32, 8, 1, 1});
    REQUIRE(m->forward(xb, y.data(), nn::mode::eval).is_ok());
    return m->correct();
  };
  std::vector<float> a, b;
  const int correct = run(a);
  run(b);
  CHECK(a == b); // seeded: the same run twice
  CHECK(a.front() > 1.0f);
  CHECK(a.back() < 0.2f);
  CHECK(correct >= 30);
}

TEST_CASE("a small CNN learns left/right images with SGD + Nesterov momentum", "[nn][train]") {
  nn::model_spec s;
  s.channels = 1, s.height = 8, s.width = 8;
  s.layers = {L::conv2d(4), L::batchnorm(), L::maxpool2d(), L::dropout(0.1f),
              L::flatten(), L::dense(2)};
  auto m = build(s, 16, 3);
  nn::sgd opt(m->param_count(), nn::sgd_config{0.05f, 0.9f, true, 0.f});
  std::mt19937 rng(9);
  std::normal_distribution<float> noise(0.f, 0.3f);
  nn::tensor x(nn::shape{16, 1, 8, 8});
  std::vector<int> y(16);
  float first = 0, last = 0;
  for (int step = 0; step < 40; ++step) {
    for (int b = 0; b < 16; ++b) {
      y[b] = int(rng() % 2); // class 1: the right half is bright
      for (int i = 0; i < 64; ++i)
        x.data()[b * 64 + i] = noise(rng) + ((i % 8 >= 4) == (y[b] == 1) ? 1.f : 0.f);
    }
    m->zero_grad();
    REQUIRE(m->forward(x, y.data(), nn::mode::train).is_ok());
    REQUIRE(m->backward().is_ok());
    opt.step(m->params(), m->grads());
    (step == 0 ? first : last) = m->loss();
  }
  CHECK(last < 0.25f * first);
  REQUIRE(m->forward(x, y.data(), nn::mode::eval).is_ok());
  CHECK(m->correct() >= 15);
}

TEST_CASE("state save/load restores params, BN stats, rng and optimizer exactly",
          "[nn][checkpoint]") {
  auto a = build(tiny_cnn(), 4, 1);
  nn::adam opt_a(a->param_count());
  nn::tensor x(nn::shape{4, 2, 6, 6});
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (size_t i = 0; i < x.count(); ++i) x.data()[i] = u(rng);
  const std::vector<int> y = {0, 1, 2, 1};
  auto step = [&](nn::model& m, nn::optimizer& o) {
    m.zero_grad();
    REQUIRE(m.forward(x, y.data(), nn::mode::train).is_ok());
    REQUIRE(m.backward().is_ok());
    o.step(m.params(), m.grads());
    return m.loss();
  };
  for (int i = 0; i < 3; ++i) step(*a, opt_a);
  const std::vector<uint8_t> saved = nn::save_state(*a, &opt_a);
  CHECK(saved.size() == nn::state_size(*a, &opt_a));
  std::vector<float> la;
  for (int i = 0; i < 3; ++i) la.push_back(step(*a, opt_a));

  auto b = build(tiny_cnn(), 4, 99); // other weights until loaded
  nn::adam opt_b(b->param_count());
  REQUIRE(nn::load_state(*b, &opt_b, saved).is_ok());
  CHECK(opt_b.steps() == 3);
  std::vector<float> lb;
  for (int i = 0; i < 3; ++i) lb.push_back(step(*b, opt_b));
  CHECK(la == lb);
  CHECK(std::vector<float>(a->params(), a->params() + a->param_count()) ==
        std::vector<float>(b->params(), b->params() + b->param_count()));
  CHECK(std::vector<float>(a->stats(), a->stats() + a->stats_count()) ==
        std::vector<float>(b->stats(), b->stats() + b->stats_count()));
}

TEST_CASE("state load rejects mismatches and leaves the model unchanged", "[nn][checkpoint]") {
  auto m = build(nn::mlp_spec(8, 16, 0.f, 4), 4, 1);
  nn::adam adam(m->param_count());
  const std::vector<uint8_t> saved = nn::save_state(*m, &adam);
  auto other = build(nn::mlp_spec(8, 17, 0.f, 4), 4, 2);
  nn::adam other_adam(other->param_count());
  const std::vector<float> before(other->params(), other->params() + other->param_count());

  lagom::status st = nn::load_state(*other, &other_adam, saved);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "checkpoint.param_count");
  CHECK(std::vector<float>(other->params(), other->params() + other->param_count()) == before);

  nn::sgd sgd(m->param_count());
  CHECK(nn::load_state(*m, &sgd, saved).where() == "checkpoint.optimizer");
  CHECK(nn::load_state(*m, nullptr, saved).where() == "checkpoint.optimizer");
  std::vector<uint8_t> cut(saved.begin(), saved.end() - 4);
  CHECK(nn::load_state(*m, &adam, cut).where() == "checkpoint.size");
  CHECK(nn::load_state(*m, &adam, std::vector<uint8_t>(10)).where() == "checkpoint");
  std::vector<uint8_t> bad = saved;
  bad[0] ^= 1;
  CHECK(nn::load_state(*m, &adam, bad).where() == "checkpoint.magic");
  bad = saved;
  bad[4] = 2;
  CHECK(nn::load_state(*m, &adam, bad).where() == "checkpoint.version");
  // without an optimizer: params and stats only
  const std::vector<uint8_t> bare = nn::save_state(*m, nullptr);
  CHECK(bare.size() + sizeof(float) * adam.state_count() == saved.size());
  CHECK(nn::load_state(*m, nullptr, bare).is_ok());
}
