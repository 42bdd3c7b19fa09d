// tpe: the Tree-structured Parzen Estimator (Bergstra et al., NIPS 2011),
// with the semantics of Optuna 3.1's default TPESampler: independent per
// dimension (not multivariate), consider_prior, prior_weight 1, magic clip,
// no endpoints, 24 expected-improvement candidates.
//
// One ask, once at least n_startup_trials trials have a loss:
//   1. The n told trials split into `below`, the gamma(n) = min(ceil(0.1 n), 25)
//      best (finished before stopped_early, then by loss, then by id), and
//      `above`, the rest. Each side keeps trial-id order for its weights:
//      1 each, except that past 25 the oldest n-25 ramp from 1/n up to 1.
//   2. Per dimension, each side becomes a mixture in unit space [0, 1] (see
//      `coder`): one component per trial plus the prior (centre 0.5, sigma 1,
//      weight prior_weight). Numbers: Gaussians truncated to [0, 1], each
//      sigma the larger gap to its sorted neighbours (the outermost ones use
//      their inner gap only), clipped to [1 / min(100, m + 1), 1] for m
//      components. Integers and discrete values are cells of [0, 1]; their
//      probability is the component's mass over the cell. Categories: each
//      trial puts 1 on its choice plus prior_weight / (m + 1) on every
//      choice; the prior is uniform.
//   3. n_ei_candidates draws from l (below's mixture); the one maximising
//      log l(x) - log g(x) (g: above's mixture) wins, the first on ties.
//
// As in 3.1, a component's density is exp(-z^2 / 2) over its truncation mass,
// NOT divided by sigma (optuna#5109 added the 1/sigma in 3.5). That makes a
// wide component weigh more, i.e. explores more; on Branin and Hartmann-6
// (bench_tuning, 21 seeds) it finds better values than the normalised
// density, and matches Optuna 3.1's figures. Where this departs from 3.1:
// log-scaled integers score by the mass of their cell in log space (3.1 uses
// the density at the point; optuna#6258 changed it likewise); a discrete
// dimension is a stepped one over its sorted values' indices (evenly spaced
// values: exactly Optuna's stepped float); draws come from our own rng.
//
// Asynchronous: trials asked and not told are not in the model (Optuna
// without constant_liar). A failed trial, or one with a NaN loss, is ignored;
// so is a configuration outside the space. Trial i draws from
// trial_rng(seed, i): the first n_startup_trials are random search's, and a
// resumed search (adopt, tell) draws as the uninterrupted one would have.
// Exhausted once num_trials distinct trials were asked or adopted.
//
// Cost per ask, n trials told, d dimensions, c candidates: O(n d) to split
// and gather (each dimension's order by value is kept as trials are told),
// then O(c n) density terms per dimension, evaluated for all candidates at
// once in loops that vectorise. Scratch buffers live between asks, so a
// steady state allocates only the returned configuration.
#include <algorithm>
#include <cmath>
#include <limits>
#include <cstring>
#include <numeric>
#include <unordered_set>

#include "tuning/optimizer_makers.hpp"

namespace lagom::tuning {
namespace {

constexpr double inv_sqrt2 = 0.70710678118654752440;

/// Standard normal CDF, accurate in both tails.
double phi(double x) {
  return x < 0 ? 0.5 * std::erfc(-x * inv_sqrt2) : 1 - 0.5 * std::erfc(x * inv_sqrt2);
}

/// P(a < Z < b) for a standard normal Z, without cancellation in the tails.
double gauss_mass(double a, double b) {
  if (a <= -12 && b >= 12)
    return 1;  // exactly what the sums below round to: Phi(-12) < 1e-32
  if (b <= 0)
    return 0.5 * (std::erfc(-b * inv_sqrt2) - std::erfc(-a * inv_sqrt2));
  if (a >= 0)
    return 0.5 * (std::erfc(a * inv_sqrt2) - std::erfc(b * inv_sqrt2));
  return 1 - phi(a) - 0.5 * std::erfc(b * inv_sqrt2);
}

double uniform01(rng& gen) {
  return static_cast<double>(gen() >> 11) * 0x1.0p-53;
}

/// Marsaglia's polar method; draws from `gen` only.
double std_normal(rng& gen) {
  for (;;) {
    double u = 2 * uniform01(gen) - 1, v = 2 * uniform01(gen) - 1;
    double s = u * u + v * v;
    if (s > 0 && s < 1)
      return u * std::sqrt(-2 * std::log(s) / s);
  }
}

/// How one dimension maps to the unit interval and back.
struct coder {
  enum class shape { continuous, cells, log_cells, categorical };
  shape how = shape::continuous;
  bool log = false;
  double t_low = 0, t_span = 1;  ///< u = (t(x) - t_low) / t_span, t = log or identity
  double low = 0, high = 0;      ///< value bounds (real, integer)
  size_t n_cells = 0;            ///< cells, categorical
  std::vector<double> sorted;    ///< discrete: values ascending

  explicit coder(const dimension& d) {
    switch (d.kind) {
    case dim_kind::real:
      how = shape::continuous;
      log = d.log;
      low = d.low, high = d.high;
      t_low = log ? std::log(low) : low;
      t_span = (log ? std::log(high) : high) - t_low;
      break;
    case dim_kind::integer:
      low = d.low, high = d.high;
      if (d.log) {  // Optuna: log(low - 0.5) .. log(high + 0.5)
        how = shape::log_cells;
        t_low = std::log(low - 0.5);
        t_span = std::log(high + 0.5) - t_low;
      } else {
        how = shape::cells;
        n_cells = static_cast<size_t>(high - low) + 1;
      }
      break;
    case dim_kind::discrete:
      how = shape::cells;
      sorted = d.values;
      std::sort(sorted.begin(), sorted.end());
      n_cells = sorted.size();
      break;
    case dim_kind::categorical:
      how = shape::categorical;
      n_cells = d.choices.size();
      break;
    }
  }

  /// The unit coordinate (or category index) of `v`; false when `v` is not
  /// a value of this dimension (such a trial stays out of the model).
  bool encode(const dimension& d, const value* v, double& u) const {
    if (v == nullptr)
      return false;
    if (how == shape::categorical) {
      auto* s = std::get_if<std::string>(v);
      if (s == nullptr)
        return false;
      auto it = std::find(d.choices.begin(), d.choices.end(), *s);
      u = static_cast<double>(it - d.choices.begin());
      return it != d.choices.end();
    }
    auto* px = std::get_if<double>(v);
    if (px == nullptr || !std::isfinite(*px))
      return false;
    double x = *px;
    if (!sorted.empty()) {
      auto it = std::lower_bound(sorted.begin(), sorted.end(), x);
      size_t i = static_cast<size_t>(it - sorted.begin());
      if (i > 0 && (i == sorted.size() || x - sorted[i - 1] < *it - x))
        --i;
      if (std::fabs(sorted[i] - x) > 1e-9 * std::max(1.0, std::fabs(x)))
        return false;
      u = (static_cast<double>(i) + 0.5) / static_cast<double>(n_cells);
      return true;
    }
    if (x < low - 1e-9 * std::fabs(low) || x > high + 1e-9 * std::fabs(high))
      return false;
    x = std::clamp(x, low, high);
    switch (how) {
    case shape::continuous: u = ((log ? std::log(x) : x) - t_low) / t_span; break;
    case shape::cells: u = (std::round(x) - low + 0.5) / static_cast<double>(n_cells); break;
    case shape::log_cells: u = (std::log(std::round(x)) - t_low) / t_span; break;
    case shape::categorical: break;
    }
    u = std::clamp(u, 0.0, 1.0);
    return true;
  }

  /// The cell [a, b] of unit coordinate u, and its index (cells: the cell's
  /// number; log_cells: the integer).
  void cell_of(double u, double& a, double& b, long long& key) const {
    if (how == shape::cells) {
      double n = static_cast<double>(n_cells);
      key = std::min(static_cast<long long>(u * n), static_cast<long long>(n_cells) - 1);
      a = static_cast<double>(key) / n, b = static_cast<double>(key + 1) / n;
    } else {
      double k = std::clamp(std::round(std::exp(t_low + u * t_span)), low, high);
      key = static_cast<long long>(k);
      a = (std::log(k - 0.5) - t_low) / t_span, b = (std::log(k + 0.5) - t_low) / t_span;
    }
  }

  value decode(const dimension& d, double u, long long key) const {
    switch (how) {
    case shape::continuous: {
      double x = t_low + u * t_span;
      return std::clamp(log ? std::exp(x) : x, low, high);
    }
    case shape::cells:
      return sorted.empty() ? low + static_cast<double>(key) : sorted[static_cast<size_t>(key)];
    case shape::log_cells: return static_cast<double>(key);
    case shape::categorical: return d.choices[static_cast<size_t>(key)];
    }
    return 0.0;
  }
};

/// e^t for t <= 0, to about 1e-14 relative (below -708 it gives e^-708, not
/// 0). No libm call, so that loops over it vectorise (with
/// -fno-trapping-math, which lets the clamp become a vector max).
inline double exp_nonpositive(double t) {
  t = t < -708.0 ? -708.0 : t;
  const double shifter = 0x1.8p52;  // adding it rounds to an integer in the low bits
  double kn = t * 1.4426950408889634 + shifter;
  double n = kn - shifter;
  double r = t - n * 6.93147180369123816490e-01 - n * 1.90821492927058770002e-10;
  double p = 1.0 / 39916800;  // Taylor to r^11, |r| <= 0.347
  p = p * r + 1.0 / 3628800;
  p = p * r + 1.0 / 362880;
  p = p * r + 1.0 / 40320;
  p = p * r + 1.0 / 5040;
  p = p * r + 1.0 / 720;
  p = p * r + 1.0 / 120;
  p = p * r + 1.0 / 24;
  p = p * r + 1.0 / 6;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  uint64_t bits = 0;
  std::memcpy(&bits, &kn, sizeof bits);
  bits = (bits + 1023) << 52;  // 2^n
  double scale = 0;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

/// One side's mixture in one dimension: Gaussians truncated to [0, 1], the
/// prior last; w[j] folds in the weight and the truncation mass.
struct mixture {
  std::vector<double> mu, sig, inv_s, w, cum;  // cum: cumulative weights

  /// `xs`: the side's unit coordinates in id order; `wt`: their weights, the
  /// prior's last, normalised; `by_x`: indices into xs sorted by value, the
  /// prior (index xs.size()) at its place.
  void build(const std::vector<double>& xs, const std::vector<double>& wt,
             const std::vector<uint32_t>& by_x) {
    size_t m = xs.size() + 1;
    mu.assign(xs.begin(), xs.end());
    mu.push_back(0.5);
    sig.resize(m);
    for (size_t i = 0; i < m; ++i) {
      double x = mu[by_x[i]];
      double left = x - (i == 0 ? 0.0 : mu[by_x[i - 1]]);
      double right = (i + 1 == m ? 1.0 : mu[by_x[i + 1]]) - x;
      double s = std::max(left, right);
      if (m >= 2 && i == 0)
        s = right;  // no endpoints: the outermost use their inner gap
      else if (m >= 2 && i + 1 == m)
        s = left;
      sig[by_x[i]] = s;
    }
    double min_s = 1.0 / std::min(100.0, 1.0 + static_cast<double>(m));
    inv_s.resize(m);
    w.resize(m);
    cum.resize(m);
    double acc = 0;
    for (size_t j = 0; j < m; ++j) {
      double s = j + 1 == m ? 1.0 : std::clamp(sig[j], min_s, 1.0);
      sig[j] = s;
      inv_s[j] = 1 / s;
      double z = gauss_mass(-mu[j] * inv_s[j], (1 - mu[j]) * inv_s[j]);
      w[j] = wt[j] / z;  // Optuna 3.1: no 1 / sigma (see the top)
      acc += wt[j];
      cum[j] = acc;
    }
  }

  /// A draw in [0, 1]: a component by weight, then its truncated Gaussian.
  double sample(rng& gen) const {
    double r = uniform01(gen) * cum.back();
    size_t j = static_cast<size_t>(std::upper_bound(cum.begin(), cum.end(), r) - cum.begin());
    j = std::min(j, mu.size() - 1);
    for (;;) {  // acceptance >= P(0 < Z < 1) = 0.34: mu in [0, 1], sigma <= 1
      double x = mu[j] + sig[j] * std_normal(gen);
      if (x >= 0 && x <= 1)
        return x;
    }
  }

  /// out[k] = log "density" at x[k], as Optuna 3.1 computes it (no 1/sigma;
  /// less log sqrt(2 pi), which cancels in l/g). The prior (sigma 1 over
  /// [0, 1]) keeps every sum above zero.
  void log_density(const double* x, size_t n, double* out) const {
    std::fill(out, out + n, 0.0);
    for (size_t j = 0; j < mu.size(); ++j) {
      const double m = mu[j], is = inv_s[j], wj = w[j];
      for (size_t k = 0; k < n; ++k) {  // vectorised
        double z = (x[k] - m) * is;
        out[k] += wj * exp_nonpositive(-0.5 * z * z);
      }
    }
    for (size_t k = 0; k < n; ++k)
      out[k] = std::log(out[k]);
  }

  /// out[k] = log probability of the cell [edge[lo[k]], edge[hi[k]]]. Cells
  /// that touch share an edge, so each edge's tail is computed once.
  void log_mass(const std::vector<double>& edge, const uint32_t* lo, const uint32_t* hi,
                size_t n, double* out) const {
    std::fill(out, out + n, 0.0);
    z_.resize(edge.size());
    tail_.resize(edge.size());
    for (size_t j = 0; j < mu.size(); ++j) {
      const double m = mu[j], is = inv_s[j], wj = w[j];
      for (size_t e = 0; e < edge.size(); ++e) {
        // The normal's mass beyond z on z's own side; below 1e-32 past 12.
        double z = (edge[e] - m) * is;
        z_[e] = z;
        tail_[e] = std::fabs(z) < 12 ? 0.5 * std::erfc(std::fabs(z) * inv_sqrt2) : 0.0;
      }
      for (size_t k = 0; k < n; ++k) {
        double za = z_[lo[k]], zb = z_[hi[k]], ta = tail_[lo[k]], tb = tail_[hi[k]];
        double mass = zb <= 0 ? tb - ta : za >= 0 ? ta - tb : 1 - ta - tb;
        out[k] += wj * mass;
      }
    }
    for (size_t k = 0; k < n; ++k)
      out[k] = std::log(out[k]);
  }

  mutable std::vector<double> z_, tail_;  // log_mass's scratch
};

struct observation {
  uint32_t id;
  bool stopped;   ///< stopped_early: ranks after every finished trial
  double budget;  ///< stopped_early: the further it got, the better it ranks
  double loss;
};

class tpe final : public optimizer {
public:
  tpe(const searchspace& space, const optimizer_options& o, size_t n_startup,
      size_t n_candidates, double prior_weight)
    : space_(space), seed_(o.seed), num_trials_(o.num_trials), n_startup_(n_startup),
      n_candidates_(n_candidates), prior_weight_(prior_weight) {
    for (const auto& d : space_.dims())
      coders_.emplace_back(d);
    by_x_.resize(coders_.size());
  }

  const char* name() const override { return "tpe"; }

  ask_status ask(trial& out) override {
    if (!issued_.count(out.id) && num_trials_ != 0 && issued_.size() >= num_trials_)
      return ask_status::exhausted;
    issued_.insert(out.id);
    out.clear_rungs();
    // Trial i's draws depend on the seed and i only (and on the model): the
    // random start is random search's, and a resumed search draws as the
    // uninterrupted one would have.
    gen_ = trial_rng(seed_, out.id);
    if (obs_.size() < n_startup_) {
      out.config = space_.sample(gen_);
      return ask_status::ready;
    }
    split();
    named_values config;
    for (size_t d = 0; d < coders_.size(); ++d)
      config.set(space_.dims()[d].name, suggest(d));
    out.config = std::move(config);
    return ask_status::ready;
  }

  void tell(const trial_result& r) override {
    if (r.how == outcome::failed || std::isnan(r.loss))
      return;
    auto pos = std::lower_bound(obs_.begin(), obs_.end(), r.t.id,
                                [](const observation& o, uint32_t id) { return o.id < id; });
    if (pos != obs_.end() && pos->id == r.t.id)
      return;  // told twice: the first answer stands
    size_t dims = coders_.size();
    row_.resize(dims);
    for (size_t d = 0; d < dims; ++d) {
      const auto& dim = space_.dims()[d];
      if (!coders_[d].encode(dim, r.t.config.find(dim.name), row_[d]))
        return;  // not a configuration of this space
    }
    const uint32_t at = static_cast<uint32_t>(pos - obs_.begin());
    obs_.insert(pos, {r.t.id, r.how == outcome::stopped_early, r.t.budget, r.loss});
    x_.insert(x_.begin() + static_cast<std::ptrdiff_t>(at * dims), row_.begin(), row_.end());
    // Keep each dimension's order by value (ties by id): no sort per ask.
    for (size_t d = 0; d < dims; ++d) {
      auto& order = by_x_[d];
      if (at + 1 != obs_.size())
        for (uint32_t& i : order)
          i += i >= at;
      auto less = [&](uint32_t i, uint32_t j) {
        double xi = x_[i * dims + d], xj = x_[j * dims + d];
        return xi < xj || (xi == xj && i < j);
      };
      order.insert(std::upper_bound(order.begin(), order.end(), at, less), at);
    }
  }

  void adopt(trial& t) override { issued_.insert(t.id); }

private:
  static size_t gamma(size_t n) {
    return std::min(static_cast<size_t>(std::ceil(0.1 * static_cast<double>(n))), size_t{25});
  }

  /// Optuna's default_weights(k), then the prior's weight, normalised.
  void side_weights(size_t k, std::vector<double>& w) const {
    w.assign(k + 1, 1.0);
    if (k > 25) {
      size_t ramp = k - 25;
      double first = 1.0 / static_cast<double>(k);
      for (size_t i = 0; i < ramp; ++i)
        w[i] = ramp == 1 ? first
                         : first + (1 - first) * static_cast<double>(i)
                                       / static_cast<double>(ramp - 1);
    }
    w[k] = prior_weight_;
    double total = std::accumulate(w.begin(), w.end(), 0.0);
    for (double& v : w)
      v /= total;
  }

  /// Marks the gamma(n) best observations as below; fills both sides' weights.
  void split() {
    size_t n = obs_.size();
    size_t nb = std::min(gamma(n), n);
    rank_.resize(n);
    std::iota(rank_.begin(), rank_.end(), 0u);
    auto better = [this](uint32_t a, uint32_t b) {
      const observation& p = obs_[a];
      const observation& q = obs_[b];
      if (p.stopped != q.stopped)
        return !p.stopped;
      if (p.stopped && p.budget != q.budget)
        return p.budget > q.budget;
      if (p.loss != q.loss)
        return p.loss < q.loss;
      return a < b;  // id order: obs_ is sorted by id
    };
    if (nb < n)
      std::nth_element(rank_.begin(), rank_.begin() + static_cast<std::ptrdiff_t>(nb),
                       rank_.end(), better);
    below_.assign(n, 0);
    for (size_t i = 0; i < nb; ++i)
      below_[rank_[i]] = 1;
    side_pos_.resize(n);
    uint32_t counts[2] = {0, 0};
    for (size_t i = 0; i < n; ++i)
      side_pos_[i] = counts[below_[i] != 0]++;
    side_weights(nb, w_below_);
    side_weights(n - nb, w_above_);
  }

  /// The winning value of dimension d among n_candidates draws from l.
  value suggest(size_t d) {
    const coder& c = coders_[d];
    const size_t dims = coders_.size(), n = obs_.size();
    xs_below_.clear();
    xs_above_.clear();
    for (size_t i = 0; i < n; ++i)
      (below_[i] ? xs_below_ : xs_above_).push_back(x_[i * dims + d]);
    if (c.how == coder::shape::categorical)
      return suggest_category(d);

    // Each side's order by value, the prior (centre 0.5) at its place.
    by_x_below_.clear();
    by_x_above_.clear();
    bool prior_placed = false;
    for (uint32_t i : by_x_[d]) {
      if (!prior_placed && x_[i * dims + d] >= 0.5) {
        by_x_below_.push_back(static_cast<uint32_t>(xs_below_.size()));
        by_x_above_.push_back(static_cast<uint32_t>(xs_above_.size()));
        prior_placed = true;
      }
      (below_[i] ? by_x_below_ : by_x_above_).push_back(side_pos_[i]);
    }
    if (!prior_placed) {
      by_x_below_.push_back(static_cast<uint32_t>(xs_below_.size()));
      by_x_above_.push_back(static_cast<uint32_t>(xs_above_.size()));
    }
    const bool density = c.how == coder::shape::continuous;
    l_.build(xs_below_, w_below_, by_x_below_);
    g_.build(xs_above_, w_above_, by_x_above_);

    const size_t k = n_candidates_;
    cand_.resize(k);
    for (size_t i = 0; i < k; ++i)
      cand_[i] = l_.sample(gen_);
    score_l_.resize(k);
    score_g_.resize(k);
    score_.resize(k);
    if (density) {
      l_.log_density(cand_.data(), k, score_l_.data());
      g_.log_density(cand_.data(), k, score_g_.data());
      for (size_t i = 0; i < k; ++i)
        score_[i] = score_l_[i] - score_g_[i];
    } else {  // score each distinct cell once
      keys_.resize(k);
      cell_of_.resize(k);
      cell_a_.clear();
      cell_b_.clear();
      cell_key_.clear();
      for (size_t i = 0; i < k; ++i) {
        double a = 0, b = 0;
        c.cell_of(cand_[i], a, b, keys_[i]);
        auto it = std::find(cell_key_.begin(), cell_key_.end(), keys_[i]);
        cell_of_[i] = static_cast<uint32_t>(it - cell_key_.begin());
        if (it == cell_key_.end()) {
          cell_key_.push_back(keys_[i]);
          cell_a_.push_back(a);
          cell_b_.push_back(b);
        }
      }
      size_t cells = cell_key_.size();
      edge_.assign(cell_a_.begin(), cell_a_.end());
      edge_.insert(edge_.end(), cell_b_.begin(), cell_b_.end());
      std::sort(edge_.begin(), edge_.end());
      edge_.erase(std::unique(edge_.begin(), edge_.end()), edge_.end());
      edge_lo_.resize(cells);
      edge_hi_.resize(cells);
      for (size_t i = 0; i < cells; ++i) {
        auto at = [&](double x) {
          return static_cast<uint32_t>(std::lower_bound(edge_.begin(), edge_.end(), x)
                                       - edge_.begin());
        };
        edge_lo_[i] = at(cell_a_[i]);
        edge_hi_[i] = at(cell_b_[i]);
      }
      l_.log_mass(edge_, edge_lo_.data(), edge_hi_.data(), cells, score_l_.data());
      g_.log_mass(edge_, edge_lo_.data(), edge_hi_.data(), cells, score_g_.data());
      for (size_t i = 0; i < k; ++i)
        score_[i] = score_l_[cell_of_[i]] - score_g_[cell_of_[i]];
    }
    size_t best = 0;  // the first of equals, as numpy's argmax
    for (size_t i = 1; i < k; ++i)
      if (score_[i] > score_[best])
        best = i;
    return c.decode(space_.dims()[d], cand_[best], density ? 0 : keys_[best]);
  }

  value suggest_category(size_t d) {
    const coder& c = coders_[d];
    size_t k = c.n_cells;
    auto probs = [&](const std::vector<double>& xs, const std::vector<double>& w,
                     std::vector<double>& p) {
      // Each trial's row: prior_weight / (m + 1) on every choice, +1 on its
      // own, normalised; the prior's row is uniform.
      double a = prior_weight_ / static_cast<double>(xs.size() + 1);
      double denom = a * static_cast<double>(k) + 1;
      double obs_w = 1 - w.back();
      p.assign(k, obs_w * a / denom + w.back() / static_cast<double>(k));
      for (size_t i = 0; i < xs.size(); ++i)
        p[static_cast<size_t>(xs[i])] += w[i] / denom;
    };
    probs(xs_below_, w_below_, p_below_);
    probs(xs_above_, w_above_, p_above_);
    double total = std::accumulate(p_below_.begin(), p_below_.end(), 0.0);
    double best_score = 0;
    size_t best = 0;
    for (size_t cand = 0; cand < n_candidates_; ++cand) {
      double r = uniform01(gen_) * total;
      size_t i = 0;
      while (i + 1 < k && r >= p_below_[i])
        r -= p_below_[i++];
      double score = std::log(p_below_[i]) - std::log(p_above_[i]);
      if (cand == 0 || score > best_score)
        best_score = score, best = i;
    }
    return space_.dims()[d].choices[best];
  }

  // Constant after construction.
  const searchspace space_;
  const uint64_t seed_;
  const uint32_t num_trials_;
  const size_t n_startup_, n_candidates_;
  const double prior_weight_;
  std::vector<coder> coders_;

  // The model: told trials in id order, their unit coordinates row by row.
  std::unordered_set<uint32_t> issued_;  ///< trials asked or adopted (the budget)
  std::vector<observation> obs_;
  std::vector<double> x_;

  // Scratch, kept between asks.
  rng gen_;  ///< reseeded per ask: trial_rng(seed, id)
  std::vector<double> row_, w_below_, w_above_, xs_below_, xs_above_, p_below_, p_above_;
  std::vector<std::vector<uint32_t>> by_x_;  ///< per dimension: obs_ indices by value
  std::vector<uint32_t> rank_, side_pos_, by_x_below_, by_x_above_;
  std::vector<char> below_;
  std::vector<double> cand_, score_l_, score_g_, score_, cell_a_, cell_b_;
  std::vector<long long> keys_, cell_key_;
  std::vector<double> edge_;
  std::vector<uint32_t> cell_of_, edge_lo_, edge_hi_;
  mixture l_, g_;
};

} // namespace

const optimizer_spec& tpe_spec() {
  // Bounds: a hostile setting must not make one ask cost more than
  // 10,000 candidates times the trials told.
  static const optimizer_spec spec{
    "tpe", "tree-structured Parzen estimator (Bayesian)", false, false,
    {{"n_startup_trials", true, 10, 0, 1e6, "random trials before the model"},
     {"n_ei_candidates", true, 24, 1, 1e4, "candidates scored per ask"},
     {"prior_weight", false, 1.0, 0, 1e6, "weight of the prior (> 0)"}}};
  return spec;
}

status make_tpe(const searchspace& space, const optimizer_options& o,
                std::unique_ptr<optimizer>& out) {
  const auto& spec = tpe_spec();
  if (auto st = check_settings(o, spec); !st)
    return st;
  auto n_startup = static_cast<size_t>(setting(o, spec, "n_startup_trials"));
  auto n_candidates = static_cast<size_t>(setting(o, spec, "n_ei_candidates"));
  double prior_weight = setting(o, spec, "prior_weight");
  if (!(prior_weight > 0))
    return status::error(errc::invalid_argument, "must be > 0", o.name + ": prior_weight");
  out = std::make_unique<tpe>(space, o, n_startup, n_candidates, prior_weight);
  return {};
}

} // namespace lagom::tuning
