// runtime/nn/cpu kernels: finite-difference gradient checks on tiny shapes,
// a naive direct convolution as the reference for conv2d, and the properties
// each kernel promises (accumulation, masks, determinism, stability).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>
#include <vector>

#include "nn/cpu/kernels.hpp"

namespace cpu = lagom::nn::cpu;
using vec = std::vector<float>;

namespace {

vec random_vec(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  vec v(n);
  for (float& x : v) x = u(rng);
  return v;
}

double dot(const vec& a, const vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * b[i];
  return s;
}

// Central differences of loss() with respect to every x[i].
vec numeric_grad(vec& x, const std::function<double()>& loss, float h = 1e-2f) {
  vec g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const float keep = x[i];
    x[i] = keep + h;
    const double up = loss();
    x[i] = keep - h;
    const double down = loss();
    x[i] = keep;
    g[i] = float((up - down) / (2.0 * h));
  }
  return g;
}

// max |a - b| relative to the largest |b|: a misplaced element shows up as O(1).
double rel_error(const vec& a, const vec& b) {
  double err = 0, scale = 1e-6;
  for (size_t i = 0; i < a.size(); ++i) {
    err = std::max(err, double(std::fabs(a[i] - b[i])));
    scale = std::max(scale, double(std::fabs(b[i])));
  }
  return err / scale;
}

// Direct convolution, same padding, stride 1, channel-major: the reference.
vec naive_conv(const vec& inp, const vec& weight, const vec& bias, int B, int C, int H, int W,
               int OC, int KS) {
  const int pad = KS / 2;
  vec out(size_t(OC) * B * H * W);
  for (int oc = 0; oc < OC; ++oc)
    for (int b = 0; b < B; ++b)
      for (int h = 0; h < H; ++h)
        for (int w = 0; w < W; ++w) {
          double s = bias[oc];
          for (int c = 0; c < C; ++c)
            for (int kh = 0; kh < KS; ++kh)
              for (int kw = 0; kw < KS; ++kw) {
                const int ih = h + kh - pad, iw = w + kw - pad;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W)
                  s += double(weight[((oc * C + c) * KS + kh) * KS + kw]) *
                       inp[((size_t(c) * B + b) * H + ih) * W + iw];
              }
          out[((size_t(oc) * B + b) * H + h) * W + w] = float(s);
        }
  return out;
}

} // namespace

TEST_CASE("conv2d forward matches a direct convolution", "[nn][conv2d]") {
  struct dims { int H, W, KS; };
  for (dims d : {dims{6, 5, 1}, dims{6, 5, 3}, dims{6, 5, 5}, dims{2, 1, 5}, dims{3, 2, 5},
                 dims{1, 4, 3}}) {
    const int B = 5, C = 3, H = d.H, W = d.W, KS = d.KS, OC = 4;
    const vec x = random_vec(size_t(C) * B * H * W, 1), w = random_vec(size_t(OC) * C * KS * KS, 2),
              b = random_vec(OC, 3);
    vec out(size_t(OC) * B * H * W);
    cpu::conv2d_forward(out.data(), x.data(), w.data(), b.data(), B, C, H, W, OC, KS, false);
    CHECK(rel_error(out, naive_conv(x, w, b, B, C, H, W, OC, KS)) < 1e-5);
    cpu::conv2d_forward(out.data(), x.data(), w.data(), b.data(), B, C, H, W, OC, KS, true);
    vec ref = naive_conv(x, w, b, B, C, H, W, OC, KS);
    for (float& v : ref) v = std::max(v, 0.f);
    CHECK(rel_error(out, ref) < 1e-5);
  }
}

TEST_CASE("col2im is the adjoint of im2col", "[nn][conv2d]") {
  const int B = 4, C = 2, H = 5, W = 7, KS = 3, b0 = 1, nb = 2;
  const size_t K = size_t(C) * KS * KS, N = size_t(nb) * H * W;
  const vec x = random_vec(size_t(C) * B * H * W, 4), y = random_vec(K * N, 5);
  vec col(K * N), back(x.size(), 7.f), scratch = y;
  cpu::im2col(col.data(), x.data(), B, C, H, W, KS, b0, nb);
  cpu::col2im(back.data(), scratch.data(), B, C, H, W, KS, b0, nb);
  // <im2col(x), y> = <x, col2im(y)> over the samples b0 .. b0+nb; others untouched
  vec xs(x.size(), 0.f);
  for (int c = 0; c < C; ++c)
    for (int b = b0; b < b0 + nb; ++b)
      for (int i = 0; i < H * W; ++i) {
        const size_t at = (size_t(c) * B + b) * H * W + i;
        xs[at] = x[at];
      }
  double lhs = dot(col, y), rhs = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const int b = int(i / (H * W)) % B;
    if (b >= b0 && b < b0 + nb)
      rhs += double(xs[i]) * back[i];
    else
      CHECK(back[i] == 7.f);
  }
  CHECK(std::fabs(lhs - rhs) < 1e-4 * std::fabs(lhs) + 1e-5);
}

TEST_CASE("conv2d backward: input, weight and bias gradients", "[nn][conv2d][grad]") {
  const int B = 5, C = 2, H = 5, W = 4, OC = 3, KS = 3;
  vec x = random_vec(size_t(C) * B * H * W, 11), w = random_vec(size_t(OC) * C * KS * KS, 12),
      b = random_vec(OC, 13);
  const vec R = random_vec(size_t(OC) * B * H * W, 14);
  vec out(R.size());
  auto loss = [&] {
    cpu::conv2d_forward(out.data(), x.data(), w.data(), b.data(), B, C, H, W, OC, KS, false);
    return dot(out, R);
  };
  // weight and bias gradients accumulate onto what is there
  vec dx(x.size(), 9.f), dw(w.size(), 0.5f), db(b.size(), -0.25f);
  cpu::conv2d_backward(dx.data(), dw.data(), db.data(), R.data(), x.data(), w.data(), B, C, H,
                       W, OC, KS);
  for (float& v : dw) v -= 0.5f;
  for (float& v : db) v += 0.25f;
  CHECK(rel_error(dx, numeric_grad(x, loss)) < 1e-3);
  CHECK(rel_error(dw, numeric_grad(w, loss)) < 1e-3);
  CHECK(rel_error(db, numeric_grad(b, loss)) < 1e-3);
  // no input gradient asked for: the same parameter gradients
  vec dw2(w.size(), 0.f), db2(b.size(), 0.f);
  cpu::conv2d_backward(nullptr, dw2.data(), db2.data(), R.data(), x.data(), w.data(), B, C, H,
                       W, OC, KS);
  CHECK(rel_error(dw2, dw) < 1e-5);
  CHECK(rel_error(db2, db) < 1e-5);
}

TEST_CASE("batchnorm train: input, gamma and beta gradients, running stats",
          "[nn][batchnorm][grad]") {
  struct layout { int N, C, S; };
  for (layout L : {layout{1, 3, 12}, layout{6, 4, 1}, layout{2, 2, 5}}) {
    const size_t n = size_t(L.N) * L.C * L.S;
    vec x = random_vec(n, 21, -1.f, 2.f), g = random_vec(L.C, 22, 0.5f, 1.5f),
        bt = random_vec(L.C, 23);
    const vec R = random_vec(n, 24);
    vec out(n), mean(L.C), rstd(L.C), rm(L.C, 0.f), rv(L.C, 1.f);
    auto loss = [&] {
      cpu::batchnorm_forward(out.data(), mean.data(), rstd.data(), rm.data(), rv.data(),
                             x.data(), g.data(), bt.data(), L.N, L.C, L.S, 1e-5f, 0.1f);
      return dot(out, R);
    };
    loss();
    // running stats after one update from (0, 1) with momentum 0.1
    for (int c = 0; c < L.C; ++c) {
      double s = 0, s2 = 0;
      const double M = double(L.N) * L.S;
      for (int i = 0; i < L.N; ++i)
        for (int j = 0; j < L.S; ++j) s += x[(size_t(i) * L.C + c) * L.S + j];
      const double mu = s / M;
      for (int i = 0; i < L.N; ++i)
        for (int j = 0; j < L.S; ++j) {
          const double d = x[(size_t(i) * L.C + c) * L.S + j] - mu;
          s2 += d * d;
        }
      CHECK(mean[c] == Approx(mu).margin(1e-6));
      CHECK(rm[c] == Approx(0.1 * mu).margin(1e-6));
      CHECK(rv[c] == Approx(0.9 + 0.1 * s2 / (M - 1)).epsilon(1e-5));
      CHECK(rstd[c] == Approx(1 / std::sqrt(s2 / M + 1e-5)).epsilon(1e-5));
    }
    vec dx(n), dg(L.C, 1.f), db(L.C, 1.f);
    cpu::batchnorm_backward(dx.data(), dg.data(), db.data(), R.data(), x.data(), mean.data(),
                            rstd.data(), g.data(), L.N, L.C, L.S, false);
    for (float& v : dg) v -= 1.f;
    for (float& v : db) v -= 1.f;
    CHECK(rel_error(dx, numeric_grad(x, loss, 1e-3f)) < 1e-2);
    CHECK(rel_error(dg, numeric_grad(g, loss, 1e-3f)) < 1e-2);
    CHECK(rel_error(db, numeric_grad(bt, loss, 1e-3f)) < 1e-2);
    // relu_mask zeroes the gradient where the input (a ReLU output) is 0
    vec xr = x;
    for (float& v : xr) v = std::max(v, 0.f);
    vec masked(n), plain(n), dg2(L.C), db2(L.C);
    cpu::batchnorm_forward(out.data(), mean.data(), rstd.data(), rm.data(), rv.data(),
                           xr.data(), g.data(), bt.data(), L.N, L.C, L.S, 1e-5f, 0.1f);
    cpu::batchnorm_backward(plain.data(), dg2.data(), db2.data(), R.data(), xr.data(),
                            mean.data(), rstd.data(), g.data(), L.N, L.C, L.S, false);
    cpu::batchnorm_backward(masked.data(), dg2.data(), db2.data(), R.data(), xr.data(),
                            mean.data(), rstd.data(), g.data(), L.N, L.C, L.S, true);
    for (size_t i = 0; i < n; ++i) CHECK(masked[i] == (xr[i] > 0.f ? plain[i] : 0.f));
  }
}

TEST_CASE("batchnorm inference uses the running statistics", "[nn][batchnorm]") {
  const int N = 1, C = 2, S = 3;
  const vec x = {1, 2, 3, -1, 0, 5}, g = {2, 1}, b = {0.5f, -1}, rm = {1, 2}, rv = {4, 0.25f};
  vec out(6);
  cpu::batchnorm_inference(out.data(), x.data(), g.data(), b.data(), rm.data(), rv.data(), N,
                           C, S, 0.f);
  const vec want = {0.5f, 1.5f, 2.5f, -7, -5, 5};
  for (int i = 0; i < 6; ++i) CHECK(out[i] == Approx(want[i]));
}

TEST_CASE("fused batchnorm+maxpool2d equals batchnorm then maxpool2d", "[nn][batchnorm][maxpool2d]") {
  for (auto [H, W] : {std::pair{4, 6}, std::pair{5, 7}}) {
    for (bool relu : {false, true}) {
      const int C = 3, B = 2, OH = H / 2, OW = W / 2;
      const size_t n = size_t(C) * B * H * W, on = size_t(C) * B * OH * OW;
      vec x = random_vec(n, 35, -1.f, 2.f);
      if (relu)
        for (float& v : x) v = std::max(v, 0.f);
      const vec g = random_vec(C, 36, -1.5f, 1.5f), bt = random_vec(C, 37), R = random_vec(on, 38);
      // reference: the two kernels
      vec y(n), pooled(on), mean(C), rstd(C), rm(C, 0.5f), rv(C, 2.f);
      std::vector<uint8_t> idx(on);
      cpu::batchnorm_forward(y.data(), mean.data(), rstd.data(), rm.data(), rv.data(), x.data(),
                             g.data(), bt.data(), 1, C, B * H * W, 1e-5f, 0.1f);
      cpu::maxpool2d_forward(pooled.data(), idx.data(), y.data(), C * B, H, W);
      vec dy(n), dx(n), dg(C, 0.f), db(C, 0.f);
      cpu::maxpool2d_backward(dy.data(), R.data(), idx.data(), C * B, H, W);
      cpu::batchnorm_backward(dx.data(), dg.data(), db.data(), dy.data(), x.data(), mean.data(),
                              rstd.data(), g.data(), 1, C, B * H * W, relu);
      // fused
      vec fpooled(on), fmean(C), frstd(C), frm(C, 0.5f), frv(C, 2.f);
      std::vector<uint8_t> fidx(on);
      cpu::batchnorm_maxpool_forward(fpooled.data(), fidx.data(), fmean.data(), frstd.data(),
                                     frm.data(), frv.data(), x.data(), g.data(), bt.data(), C, B,
                                     H, W, 1e-5f, 0.1f, true);
      CHECK(rel_error(fpooled, pooled) < 1e-6);
      CHECK(fidx == idx);
      CHECK(rel_error(fmean, mean) < 1e-6);
      CHECK(rel_error(frv, rv) < 1e-6);
      vec fdx(n, 3.f), fdg(C, 0.f), fdb(C, 0.f);
      cpu::batchnorm_maxpool_backward(fdx.data(), fdg.data(), fdb.data(), R.data(), fidx.data(),
                                      x.data(), fmean.data(), frstd.data(), g.data(), C, B, H, W,
                                      relu);
      CHECK(rel_error(fdx, dx) < 1e-5);
      CHECK(rel_error(fdg, dg) < 1e-5);
      CHECK(rel_error(fdb, db) < 1e-5);
      // eval: the running statistics, left unchanged
      cpu::batchnorm_inference(y.data(), x.data(), g.data(), bt.data(), rm.data(), rv.data(), 1,
                               C, B * H * W, 1e-5f);
      cpu::maxpool2d_forward(pooled.data(), idx.data(), y.data(), C * B, H, W);
      cpu::batchnorm_maxpool_forward(fpooled.data(), fidx.data(), fmean.data(), frstd.data(),
                                     frm.data(), frv.data(), x.data(), g.data(), bt.data(), C, B,
                                     H, W, 1e-5f, 0.1f, false);
      CHECK(rel_error(fpooled, pooled) < 1e-6);
      CHECK(rel_error(frm, rm) == 0);
    }
  }
}

TEST_CASE("maxpool2d: gradient goes to the argmax, odd edges get zero", "[nn][maxpool2d][grad]") {
  for (auto [H, W] : {std::pair{4, 6}, std::pair{5, 5}}) {
    const int P = 3, OH = H / 2, OW = W / 2;
    // distinct values 0.1 apart: a step of 1e-2 never changes an argmax
    vec x(size_t(P) * H * W);
    std::iota(x.begin(), x.end(), 0.f);
    std::shuffle(x.begin(), x.end(), std::mt19937(31));
    for (float& v : x) v *= 0.1f;
    const vec R = random_vec(size_t(P) * OH * OW, 32);
    vec out(R.size());
    std::vector<uint8_t> idx(R.size());
    auto loss = [&] {
      cpu::maxpool2d_forward(out.data(), idx.data(), x.data(), P, H, W);
      return dot(out, R);
    };
    loss();
    vec dx(x.size(), 5.f);
    cpu::maxpool2d_backward(dx.data(), R.data(), idx.data(), P, H, W);
    CHECK(rel_error(dx, numeric_grad(x, loss)) < 1e-3);
  }
  // ties go to the first element of the window
  const vec x = {1, 1, 1, 1};
  vec out(1);
  std::vector<uint8_t> idx(1, 9);
  cpu::maxpool2d_forward(out.data(), idx.data(), x.data(), 1, 2, 2);
  CHECK(out[0] == 1.f);
  CHECK(idx[0] == 0);
}

TEST_CASE("dropout: fixed mask gradient, keep rate, determinism", "[nn][dropout][grad]") {
  const size_t n = 1000;
  const float p = 0.3f;
  vec x = random_vec(n, 41);
  const vec R = random_vec(n, 42);
  vec out(n);
  std::vector<uint8_t> mask(n);
  auto loss = [&] {
    cpu::dropout_forward(out.data(), mask.data(), x.data(), n, p, 7);
    return dot(out, R);
  };
  loss();
  vec dx(n);
  cpu::dropout_backward(dx.data(), R.data(), mask.data(), n, p);
  CHECK(rel_error(dx, numeric_grad(x, loss)) < 1e-3);
  loss();
  for (size_t i = 0; i < n; ++i)
    CHECK(out[i] == Approx(mask[i] ? x[i] / (1 - p) : 0.f).margin(1e-6));

  // keep rate over many draws; same seed, same mask for any thread count
  const size_t big = 200000;
  const vec ones(big, 1.f);
  vec o1(big), o2(big);
  std::vector<uint8_t> m1(big), m2(big), m3(big);
  cpu::dropout_forward(o1.data(), m1.data(), ones.data(), big, 0.5f, 99);
  const int threads = cpu::num_threads();
  cpu::set_num_threads(1);
  cpu::dropout_forward(o2.data(), m2.data(), ones.data(), big, 0.5f, 99);
  cpu::set_num_threads(threads);
  CHECK(m1 == m2);
  const double kept = std::accumulate(m1.begin(), m1.end(), 0.0) / big;
  CHECK(kept == Approx(0.5).margin(0.01));
  cpu::dropout_forward(o2.data(), m3.data(), ones.data(), big, 0.5f, 100);
  CHECK(m1 != m3);
  cpu::dropout_forward(o2.data(), m3.data(), ones.data(), big, 0.f, 100);
  CHECK(std::all_of(m3.begin(), m3.end(), [](uint8_t k) { return k == 1; }));
}

TEST_CASE("dense backward: input, weight and bias gradients", "[nn][dense][grad]") {
  const int B = 3, C = 4, OC = 5;
  vec x = random_vec(size_t(B) * C, 51), w = random_vec(size_t(OC) * C, 52), b = random_vec(OC, 53);
  const vec R = random_vec(size_t(B) * OC, 54);
  vec out(R.size());
  auto loss = [&] {
    cpu::dense_forward(out.data(), x.data(), w.data(), b.data(), B, C, OC, false);
    return dot(out, R);
  };
  loss();
  for (int i = 0; i < B; ++i)
    for (int o = 0; o < OC; ++o) {
      double s = b[o];
      for (int c = 0; c < C; ++c) s += double(x[i * C + c]) * w[o * C + c];
      CHECK(out[i * OC + o] == Approx(s).margin(1e-5));
    }
  vec dx(x.size(), 3.f), dw(w.size(), 0.f), db(b.size(), 0.f);
  cpu::dense_backward(dx.data(), dw.data(), db.data(), R.data(), x.data(), w.data(), B, C, OC);
  CHECK(rel_error(dx, numeric_grad(x, loss)) < 1e-3);
  CHECK(rel_error(dw, numeric_grad(w, loss)) < 1e-3);
  CHECK(rel_error(db, numeric_grad(b, loss)) < 1e-3);
  cpu::dense_backward(nullptr, dw.data(), db.data(), R.data(), x.data(), w.data(), B, C, OC);
  CHECK(rel_error(dw, numeric_grad(w, loss)) > 0.9); // accumulated twice now
  // fused ReLU
  cpu::dense_forward(out.data(), x.data(), w.data(), b.data(), B, C, OC, true);
  CHECK(std::all_of(out.begin(), out.end(), [](float v) { return v >= 0.f; }));
}

TEST_CASE("relu gradient", "[nn][relu][grad]") {
  vec x = random_vec(200, 61);
  for (float& v : x) v += v > 0 ? 0.05f : -0.05f; // away from the kink
  const vec R = random_vec(200, 62);
  vec out(200);
  auto loss = [&] {
    cpu::relu_forward(out.data(), x.data(), x.size());
    return dot(out, R);
  };
  loss();
  vec dx(200);
  cpu::relu_backward(dx.data(), R.data(), out.data(), dx.size());
  CHECK(rel_error(dx, numeric_grad(x, loss)) < 1e-3);
}

TEST_CASE("softmax cross-entropy: loss, gradient, stability", "[nn][softmax][grad]") {
  const int B = 3, V = 5;
  vec z = random_vec(size_t(B) * V, 71, -3.f, 3.f), probs(z.size());
  const std::vector<int> t = {4, 0, 2};
  auto loss = [&] {
    return double(cpu::softmax_crossentropy_forward(probs.data(), z.data(), t.data(), B, V));
  };
  double want = 0;
  for (int b = 0; b < B; ++b) {
    double s = 0;
    for (int j = 0; j < V; ++j) s += std::exp(double(z[b * V + j]));
    want += -(z[b * V + t[b]] - std::log(s)) / B;
  }
  CHECK(loss() == Approx(want).epsilon(1e-6));
  vec dz(z.size(), 4.f);
  cpu::softmax_crossentropy_backward(dz.data(), probs.data(), t.data(), B, V);
  CHECK(rel_error(dz, numeric_grad(z, loss, 1e-2f)) < 1e-2);
  // huge logits: finite loss and probabilities
  vec big = {1000.f, -1000.f, 999.f, 0.f, 0.f};
  const int target = 1;
  vec p(5);
  const float l = cpu::softmax_crossentropy_forward(p.data(), big.data(), &target, 1, 5);
  CHECK(std::isfinite(l));
  CHECK(l == Approx(2000.f + std::log1p(std::exp(-1.0))).epsilon(1e-5));
  CHECK(p[0] == Approx(1 / (1 + std::exp(-1.0))).epsilon(1e-5));
}

TEST_CASE("flatten transposes are inverse and place (b, c, i) right", "[nn][flatten]") {
  const int B = 3, C = 4, HW = 5;
  const vec x = random_vec(size_t(B) * C * HW, 81);
  vec rows(x.size()), back(x.size());
  cpu::nchw_from_cnhw(rows.data(), x.data(), B, C, HW);
  cpu::cnhw_from_nchw(back.data(), rows.data(), B, C, HW);
  CHECK(back == x);
  CHECK(rows[(1 * C + 2) * HW + 3] == x[(2 * B + 1) * HW + 3]);
}
