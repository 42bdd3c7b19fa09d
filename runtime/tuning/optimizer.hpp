// Optimizers: which configuration a search tries next, behind one ask/tell
// interface.
//
//   std::unique_ptr<lagom::tuning::optimizer> opt;
//   lagom::tuning::optimizer_options o;
//   o.name = "tpe"; o.seed = 7; o.num_trials = 100;
//   if (auto st = lagom::tuning::make_optimizer(space, o, opt); !st) die(st);
//   for (uint32_t id = 0;; ++id) {
//     lagom::tuning::trial t; t.id = id;
//     if (opt->ask(t) != lagom::tuning::ask_status::ready) break;
//     opt->tell({t, lagom::tuning::outcome::finished, f(t.config)});
//   }
//
// Every optimizer MINIMIZES `loss`; the caller negates a metric it wants to
// maximize. Calls are asynchronous in the Maggy/ASHA sense: several trials
// may be asked before any is told, tells come in any order, and ask never
// waits for running trials unless it answers `wait`.
//
// Determinism: given the same space, options (seed included) and the same
// sequence of calls, an optimizer answers the same. It draws randomness only
// from its own rng seeded with options.seed.
//
// Resume: a restarted driver rebuilds an optimizer from the trial table by
// calling adopt(t) for every recorded trial in id order and then tell(r) for
// each one that ended; trials adopted but not told are the ones it will run
// again. After that the optimizer must be able to go on as if it had asked
// them itself (grid skips those points, ASHA counts those rungs, ...). The
// table stores a trial's id, config, budget and bracket; adopt fills in what
// it does not store (ASHA and Hyperband: parent).
//
// Plain C++, no CAF; not thread-safe (one scheduler owns one optimizer).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lagom/run_status.hpp"
#include "lagom/status.hpp"
#include "lagom/values.hpp"
#include "tuning/searchspace.hpp"

namespace lagom::tuning {

struct trial {
  uint32_t id = 0;          ///< set by the caller before ask: 0, 1, 2, ... in ask order
  named_values config;      ///< one value per dimension (filled by ask)
  double budget = 0;        ///< ASHA/Hyperband: the resource this trial gets; 0: none
  uint32_t bracket = 0;     ///< Hyperband: which bracket; 0 otherwise
  /// ASHA/Hyperband promotion: the earlier trial of this configuration, at
  /// the rung below, that it continues (the runtime hands the promoted run
  /// that trial's newest checkpoint while it has none of its own, see
  /// lagom/train.hpp). Empty for a new configuration and for the other
  /// optimizers.
  std::optional<uint32_t> parent;

  /// Clears what only ASHA and Hyperband set: a plain configuration.
  void clear_rungs() {
    budget = 0;
    bracket = 0;
    parent.reset();
  }
};

enum class outcome { finished, failed, stopped_early };

const char* to_string(outcome o) noexcept;
/// The run status a trial that ended so has.
run_status to_run_status(outcome o) noexcept;

struct trial_result {
  trial t;
  outcome how = outcome::finished;
  /// The minimized value: the metric, negated when the direction is max.
  /// NaN when the trial failed or reported no value. For stopped_early, the
  /// best loss it reported before it was stopped.
  double loss = 0;
};

enum class ask_status {
  ready,      ///< `out` holds the next trial
  wait,       ///< nothing to try until a running trial is told (e.g. grid's end near, DE's population not yet full)
  exhausted,  ///< nothing more to try, ever (grid done, trial budget spent)
};

class optimizer {
public:
  virtual ~optimizer() = default;
  /// "random", "grid", "de", "asha", "hyperband" or "tpe".
  virtual const char* name() const = 0;
  /// Fills out.config (and budget, bracket, parent) for trial out.id.
  virtual ask_status ask(trial& out) = 0;
  /// A trial ended. Trials never asked nor adopted are accepted too.
  virtual void tell(const trial_result& r) = 0;
  /// Resume: `t` was asked before a restart (see above). Fills in t.parent
  /// where the optimizer derives one; leaves the other fields as they are.
  virtual void adopt(trial& t) = 0;
  /// False when what ask() answers never depends on results told: asking
  /// ahead of time (a container's next trial while its current one runs)
  /// then changes nothing.
  virtual bool learns() const { return true; }
};

struct optimizer_options {
  std::string name;          ///< random, grid, de, asha, hyperband, tpe
  uint64_t seed = 0;
  uint32_t num_trials = 0;   ///< the trial budget (asks answer exhausted beyond it); 0: no bound
  /// Per-optimizer settings, all optional numbers: those its optimizer_spec
  /// declares (optimizer_specs()).
  named_values settings;
};

/// One setting an optimizer takes, as the optimizer declares it.
struct optimizer_setting {
  const char* name;
  bool whole;          ///< a whole number (else any number)
  double fallback;     ///< the default
  double min, max;     ///< the accepted range, both ends included
  const char* doc;     ///< a few words
};

/// What an optimizer declares about itself, in its own file: make_optimizer
/// checks settings against it, the cli and its help read it.
struct optimizer_spec {
  const char* name;
  const char* doc;   ///< one line
  /// It hands each trial a budget in the hyperparameter named by
  /// search_options::resource (ASHA, Hyperband).
  bool budgeted;
  /// Its trials carry a bracket worth storing (Hyperband).
  bool bracketed;
  std::vector<optimizer_setting> settings;
};

/// Every optimizer, in the order `lagom` lists them.
const std::vector<const optimizer_spec*>& optimizer_specs();
/// The spec named `name`, or nullptr.
const optimizer_spec* find_optimizer(const std::string& name);
/// True when optimizer `name` is known and budgeted.
bool optimizer_budgeted(const std::string& name);

/// Builds the optimizer `o.name` over `space`. invalid_argument naming the
/// optimizer (with a did-you-mean) when unknown, naming the setting when a
/// setting is unknown to that optimizer, of the wrong type or out of range,
/// and naming the space when it is empty or unfit (e.g. grid over a space too
/// large to enumerate).
status make_optimizer(const searchspace& space, const optimizer_options& o,
                      std::unique_ptr<optimizer>& out);

/// The optimizer names make_optimizer knows, in the order `lagom` lists them.
std::vector<std::string> optimizer_names();

} // namespace lagom::tuning
