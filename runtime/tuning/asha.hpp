// Asynchronous successive halving (ASHA) and asynchronous Hyperband as
// optimizers: the rung bookkeeping they share. Internal to runtime/tuning;
// make_asha and make_hyperband (optimizer_makers.hpp) are the way in.
//
// Li et al., "A System for Massively Parallel Hyperparameter Tuning" (MLSys
// 2020), with Maggy's semantics for the optimizer:
//
//   rungs     k = 0..K, budget(k) = r_min * rf^k, K the largest k with
//             budget(k) <= r_max (default rf 2, r_min 1, r_max 4: 1, 2, 4).
//   finished  a rung's finished trials are those told at that rung's budget;
//             a failed trial (or a NaN loss) counts as worse than any loss.
//   promotable  a configuration of rung k < K that is among the best
//             floor(n_k / rf) finished losses of rung k (n_k: how many
//             finished there) and not yet promoted from rung k.
//
//   parent    a promotion to rung k names the rung-(k-1) trial whose
//             finished loss promoted it (trial.parent).
//
// Assumptions:
//   - A trial runs its configuration up to trial.budget; the caller reports
//     the loss at that budget. A promotion is a new trial with a new id that
//     may continue its parent instead of starting from scratch: the runtime
//     hands the promoted run its parent's newest checkpoint while it has none
//     of its own (lagom/train.hpp), and a function that restores it trains
//     only the budget left. The optimizer does not depend on which it does.
//   - Losses are minimized. Equal losses are ordered by trial id, so the
//     choice depends on what was told, never on the order it was told in
//     (a resume replays tells in id order).
//   - A configuration is identified by config_key: the same configuration
//     sampled twice at rung 0 is promoted from that rung at most once.
//   - Running (pending) trials never block an ask: ASHA answers ready or
//     exhausted, never wait.
//
// Priority order of ask():
//   1. exhausted once num_trials trials were asked or adopted (promotions
//      count; 0: no bound);
//   2. a promotion, the best-ranked promotable configuration of the highest
//      rung that has one (Hyperband: brackets in order s = 0..s_max);
//   3. a new configuration at rung 0 (Hyperband: of bracket (new
//      configurations so far) mod (s_max + 1)): searchspace::sample with
//      trial_rng(seed, trial id), so it depends on the seed and the id only.
//
// Resume: adopt(t) puts t as pending at its rung and, for a rung above 0,
// marks its configuration promoted from the rung below and sets t.parent to
// the trial of that configuration at the rung below with an id below t's
// (a rung-0 trial counts toward Hyperband's round robin). After adopt + tell
// of a trial table, the next ask equals the uninterrupted run's, parents
// included. Only a configuration sampled more than once at rung 0 has more
// than one candidate parent; adopt then takes the best told one (lowest
// (loss, id)), else the lowest id, which may not be the one ask chose.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tuning/optimizer.hpp"

namespace lagom::tuning {

/// One successive-halving ladder: rungs, their finished losses and what was
/// promoted from them. Used by asha (one ladder) and hyperband (one per
/// bracket).
class asha_ladder {
public:
  /// rf >= 2, 0 < r_min <= r_max (the makers check; here they are assumed).
  asha_ladder(double reduction_factor, double resource_min, double resource_max);

  /// K + 1.
  size_t rungs() const { return budgets_.size(); }
  double budget(size_t k) const { return budgets_[k]; }
  /// The rung whose budget is `b` (within rounding), or rungs() when none.
  size_t rung_of(double b) const;

  /// Step 2 above: fills out.config, out.budget and out.parent with the
  /// promotion; false when nothing is promotable. add_pending(out) then
  /// marks it.
  bool promote(trial& out);
  /// `t` runs at rung k (asked or adopted); a rung above 0 marks its config
  /// promoted from rung k - 1.
  void add_pending(const searchspace& space, const trial& t, size_t k);
  /// Resume: the trial of t's configuration at rung k - 1 that t (at rung
  /// k > 0) continues, as the header says; empty when there is none.
  std::optional<uint32_t> parent_of(const searchspace& space, const trial& t, size_t k) const;
  /// `r` ended at rung k: it leaves the pending set and ranks at rung k by
  /// its loss (NaN or failed: worst). A second tell of one id replaces it.
  void record(const searchspace& space, const trial_result& r, size_t k);

  size_t finished(size_t k) const { return rungs_[k].finished.size(); }
  size_t pending(size_t k) const { return rungs_[k].pending.size(); }
  size_t promoted(size_t k) const { return rungs_[k].promoted.size(); }

private:
  struct result {
    double loss;        ///< +inf for failed
    std::string key;    ///< config_key
    named_values config;
  };
  struct rung {
    std::map<uint32_t, result> finished;  ///< by trial id
    std::map<uint32_t, std::string> pending;  ///< trial id -> config_key
    std::set<std::string> promoted;       ///< config keys promoted to k + 1
  };

  // Constant after construction.
  double reduction_factor_;
  std::vector<double> budgets_;
  // Changed by promote, add_pending and record.
  std::vector<rung> rungs_;
};

/// The optimizer behind both makers: `ladders` are Hyperband's brackets
/// (ASHA: one). Not thread-safe.
class asha_optimizer : public optimizer {
public:
  asha_optimizer(const char* name, const searchspace& space, uint64_t seed,
                 uint32_t num_trials, std::vector<asha_ladder> ladders);

  const char* name() const override { return name_; }
  ask_status ask(trial& out) override;
  void tell(const trial_result& r) override;
  void adopt(trial& t) override;

  const asha_ladder& ladder(size_t bracket) const { return ladders_[bracket]; }
  size_t brackets() const { return ladders_.size(); }

private:
  // Constant after construction.
  const char* name_;
  searchspace space_;
  uint64_t seed_;
  uint32_t num_trials_;
  // Changed by ask, tell and adopt.
  std::vector<asha_ladder> ladders_;
  uint64_t asked_ = 0;      ///< trials asked or adopted
  uint64_t new_configs_ = 0;///< of those, rung-0 samples (Hyperband's round robin)
};

/// Reads reduction_factor, resource_min and resource_max from o.settings
/// (checking them, and r_min <= r_max) for the maker named o.name.
status read_asha_settings(const optimizer_options& o, double& rf, double& r_min, double& r_max);

} // namespace lagom::tuning
