// Hyperparameter search: what lagom::cluster::search takes and gives back.
//
//   lagom::searchspace space;
//   lagom::searchspace::parse("lr: double [1e-4, 1e-1] log; units: integer [32, 512]; "
//                             "opt: categorical [adam, sgd]", space);
//   lagom::search_options so;
//   so.optimizer = "asha";  so.num_trials = 40;
//   so.metric = "accuracy"; so.direction = "max";  so.name = "mlp-asha";
//   so.resource = "epochs";              // ASHA's budget goes to this hyperparameter
//   lagom::search_result res;
//   auto st = c->search("fashion_mnist_mlp", space, so, res);   // blocks until done
//   // res.best.config, res.best.value, res.trials, res.early_stopped, ...
//
// It is the seed's experiment.launch(train_fn, searchspace, optimizer,
// num_trials, name, direction) in C++ form. A search is one experiment of
// kind "search" in the registry; its trials are its runs. The trial table is
// written to the registry as it changes, with the search's definition, so
// cluster::resume continues a search whose driver (or head) died: finished
// trials are not run again, unfinished ones are.
//
// Asynchronous: each container gets the next trial the moment it is free (no
// barrier between trials); many trials run one after another in one
// container. Each running trial's worker sends heartbeats; a trial whose
// heartbeats stop for `heartbeat_timeout` (a frozen worker), or whose
// container is lost (its worker process or node died), is retried on a fresh
// container, at most `max_retries` times, and the table says so. A trial
// whose function throws is marked failed with the message, and the search
// goes on.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lagom/run_status.hpp"
#include "lagom/status.hpp"
#include "lagom/values.hpp"
#include "tuning/early_stopping.hpp"
#include "tuning/searchspace.hpp"

namespace lagom {

using tuning::searchspace;

struct search_options {
  /// random, grid, de (differential evolution), asha, hyperband or tpe.
  std::string optimizer = "random";
  /// Optimizer settings (see tuning/optimizer.hpp), e.g. reduction_factor=3.
  named_values optimizer_settings;
  uint32_t num_trials = 10;        ///< trial budget (ASHA's promotions count as trials)
  std::string metric = "accuracy"; ///< the key of the function's result to optimize
  std::string direction = "max";   ///< max or min
  uint64_t seed = 1;
  /// The experiment's name in the registry; empty: "<function>-<time>".
  std::string name;
  /// Hyperparameters every trial gets besides the searched ones.
  named_values params;
  /// ASHA and Hyperband: the hyperparameter that receives a trial's budget
  /// (e.g. "epochs"); the function must take it.
  std::string resource = "budget";
  /// Early stopping of running trials from their reports: none, median or asha.
  tuning::early_stopping_options early_stopping;
  /// Containers to run trials in at once; 0: as many as fit now.
  uint32_t containers = 0;
  uint32_t cpus = 1;               ///< per container
  uint32_t gpus = 0;               ///< per container
  /// Ranks per trial: > 1 runs every trial data-parallel on a gang of this
  /// many containers (granted all at once), rank r of `workers` with a
  /// collective group (lagom/train.hpp); `containers` then counts gangs.
  /// Rank 0's reports are the trial's; a stop reaches every rank; a lost
  /// rank retries the trial on a fresh gang from its checkpoint.
  uint32_t workers = 1;
  /// A lost or straggling trial is tried again at most this many times.
  uint32_t max_retries = 2;
  /// Heartbeats from a running trial's worker come every heartbeat_timeout/4;
  /// none for this long: a straggler. Zero: no heartbeats, no straggler check.
  std::chrono::milliseconds heartbeat_timeout{10000};
  /// Wall-time budget: no new trial starts after it, running trials are asked
  /// to stop (recorded stopped_early). Zero: none.
  std::chrono::milliseconds time_budget{0};
};

/// One trial as the table shows it.
struct trial_view {
  uint32_t id = 0;
  /// queued, running, finished, failed, stopped_early or lost (retrying).
  run_status status = run_status::queued;
  named_values config;     ///< the searched hyperparameters
  double budget = 0;       ///< ASHA/Hyperband: its resource; 0 otherwise
  bool has_value = false;
  double value = 0;        ///< the metric: returned, or best reported when stopped early
  uint32_t attempts = 0;
  std::string node;
  std::string error;       ///< why it failed or was last retried
  double elapsed_ms = 0;   ///< of its last attempt
};

/// What a search tells its caller while it runs (search_options::on_progress).
struct search_progress {
  enum kind_t { trial_started, trial_ended, trial_retrying, report } kind = trial_ended;
  const trial_view* trial = nullptr;  ///< the trial concerned; valid during the call
  uint64_t step = 0;                  ///< report
  double reported = 0;                ///< report: the metric's value
  uint32_t running = 0, finished = 0, stopped_early = 0, failed = 0;
  uint32_t num_trials = 0;            ///< the budget
  bool has_best = false;
  double best = 0;                    ///< best metric so far
  uint32_t best_trial = 0;
};

/// What a finished search gives back: at least what Maggy's result holds.
struct search_result {
  std::string experiment;          ///< its name in the registry
  std::string metric, direction;
  bool has_best = false;
  trial_view best, worst;          ///< by the metric, over trials with a value
  double average = 0;              ///< of the metric over trials with a value
  uint32_t num_trials = 0;         ///< trials run (every id asked)
  uint32_t finished = 0, early_stopped = 0, failed = 0, retried = 0;
  double elapsed_ms = 0;
  std::vector<trial_view> trials;  ///< every trial, by id
  std::vector<std::string> plots;  ///< PNG files written (optimization history, parallel coordinates)
};

/// Per call, not stored: how the caller watches and bounds a search.
struct search_watch {
  /// Called on a runtime thread, one event at a time.
  std::function<void(const search_progress&)> on_progress;
  /// Where PNG plots go; empty: DATA/plots/<experiment>. "-": none.
  std::string plot_dir;
};

} // namespace lagom
