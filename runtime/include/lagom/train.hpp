// Train functions: what a container runs.
//
//   lagom::named_values hello(lagom::train_context& ctx) {
//     lagom::named_values out;
//     out.set("message", "Hello from " + ctx.device());
//     return out;
//   }
//   LAGOM_TRAIN_FN("hello", hello);
//
// LAGOM_TRAIN_FN only appends to a list of registrations in the binary; it
// registers nothing global at run time. main() (or an embedding host) builds a
// function_registry from that list, or from functions of its own, and hands it
// to the cluster. Every node of a cluster runs the same binary, so a name
// means the same function everywhere.
//
// A train function runs on a thread of its own, never on an actor scheduler
// thread; it may block for minutes. It returns its result values, or throws
// (std::exception): the launch then reports function_failed with the message.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lagom/params.hpp"
#include "lagom/status.hpp"
#include "lagom/values.hpp"

namespace lagom::collective {
class communicator;
}

namespace lagom {

class timeline;

/// What a rank of a data-parallel job (`all_reduce FN workers=N ...`) is told
/// about the gradient synchronisation (see nn/data_parallel.hpp).
struct data_parallel_settings {
  double bucket_mb = 25;       ///< MiB per gradient bucket after the first (1 MiB)
  uint32_t accumulate = 1;     ///< micro-batches per all-reduce and optimizer step
  bool sync_bn = false;        ///< BatchNorm over the global batch (SyncBatchNorm)
  /// A data-parallel search trial (`search FN workers=N`): only rank 0's
  /// reports go to the driver, and at every report the ranks agree on stop
  /// (a one-number all-reduce), so all of them stop at the same step.
  bool agree_stop = false;
};

/// What the runtime answers a report: go on, or stop (early stopping, a
/// released container, a failed gang).
enum class decision { go_on, stop };

/// Which run of which experiment a function is.
struct run_identity {
  std::string experiment;      // name; empty when launched outside an experiment
  uint64_t experiment_id = 0;
  uint32_t run = 0;
  uint32_t attempt = 1;        // > 1 after a restart: restore the checkpoint
  /// An ASHA/Hyperband promotion continues run `parent_run` of the same
  /// experiment (the same configuration at a smaller budget): until this run
  /// saves a checkpoint of its own, load_checkpoint gives the parent's newest.
  bool has_parent = false;
  uint32_t parent_run = 0;
};

/// A training dataset of the cluster's feature store as a train function sees
/// it (`data=fs:NAME[:VERSION]`; storage/training_dataset.hpp).
struct training_dataset_shape {
  uint32_t version = 0;        ///< resolved: never 0
  int64_t created_ms = 0;      ///< when that version was made
  uint32_t dim = 0;            ///< float32 feature values per row
  bool integer_labels = false; ///< the label is int64 (else float32)
  std::vector<std::pair<std::string, uint64_t>> splits;  ///< name, rows
};

/// Which rows of a split one read asks for. world > 0: rows offset ..
/// offset+count of what rank `rank` of `world` reads in `epoch` (the
/// dataset's seeded per-epoch order, every world-th row: its shard); world
/// 0: rows offset .. offset+count of the split in stored order.
struct training_rows_request {
  std::string name;
  uint32_t version = 0;        ///< 0: the newest
  std::string split;
  uint64_t epoch = 0;
  uint32_t rank = 0;
  uint32_t world = 0;
  uint64_t offset = 0;
  uint64_t count = 0;
};

/// What a read gave: ids (row numbers in the split), features (ids.size() x
/// dim floats, row-major) and labels (an int64 label exactly, up to 2^53);
/// total: the rows of the whole sequence asked (the rank's in the epoch, or
/// the split's).
struct training_rows {
  uint32_t dim = 0;
  uint64_t total = 0;
  std::vector<uint64_t> ids;
  std::vector<float> features;
  std::vector<double> labels;
};

/// The runtime's side of a train_context, implemented by trainer_worker
/// (actors/trainer_worker.hpp) with bounded blocking requests to the
/// services. Called only from the function's own thread.
class train_services {
public:
  virtual ~train_services() = default;
  /// Sends the report on and answers at once: stop when an earlier report of
  /// this run was answered stop (stop_decided), else go_on. The answer to a
  /// report reaches the function at a later report or stop_requested(), as a
  /// Maggy trial learns of its early stop at its next broadcast; a function
  /// therefore never waits for its driver, except when many reports are
  /// still unanswered (then it waits for the answer to this one).
  virtual decision report(uint64_t step, const named_values& metrics) = 0;
  /// True once one of this run's reports was answered stop.
  virtual bool stop_decided() const { return false; }
  virtual status save_checkpoint(uint64_t step, const std::string& payload,
                                 const named_values& metadata) = 0;
  /// The run's newest checkpoint, else (has_parent) the parent run's newest;
  /// not_found when neither has one.
  virtual status load_checkpoint(uint64_t& step, std::string& payload,
                                 named_values& metadata) = 0;
  virtual void log(const std::string& level, const std::string& message) = 0;
  virtual status scalar(const std::string& tag, double value, uint64_t step) = 0;
  /// The feature store's training dataset `name` at `version` (0: newest);
  /// one bounded request. not_found naming it when there is none.
  virtual status training_dataset(const std::string& name, uint32_t version,
                                  training_dataset_shape* out) {
    (void)version, (void)out;
    return status::error(errc::unavailable, "no feature store here", "data=fs:" + name);
  }
  /// One bounded request for rows (the caller keeps each under the frame cap).
  virtual status read_training_rows(const training_rows_request& req, training_rows* out) {
    (void)out;
    return status::error(errc::unavailable, "no feature store here", "data=fs:" + req.name);
  }
};

/// What a function learns about where and how it runs, and its way to the
/// runtime. Built for one container run; valid for the duration of the call.
/// Without services (a unit test calling a function directly) report answers
/// go_on, there are no checkpoints, logs go to stderr and scalars nowhere.
class train_context {
public:
  struct placement {
    uint64_t container_id = 0;
    std::string node;           // node name, e.g. "node-1"
    uint32_t cpus = 1;
    std::vector<uint32_t> gpus; // device ordinals as this process sees them
    uint32_t rank = 0;
    uint32_t world_size = 1;
  };

  /// `stop` is raised by the node when the container is released or its
  /// gang failed; the function should notice and return soon.
  train_context(placement where, named_values params,
                std::shared_ptr<const std::atomic<bool>> stop = nullptr,
                run_identity id = {}, train_services* services = nullptr)
    : where_(std::move(where)), params_(std::move(params)), stop_(std::move(stop)),
      id_(std::move(id)), services_(services) {}

  const named_values& hyperparameters() const { return params_; }
  double param(const std::string& key, double fallback) const {
    return params_.number(key, fallback);
  }
  std::string param(const std::string& key, const char* fallback) const {
    return params_.text(key, fallback);
  }

  uint64_t container_id() const { return where_.container_id; }
  const std::string& node() const { return where_.node; }
  uint32_t cpus() const { return where_.cpus; }
  uint32_t rank() const { return where_.rank; }
  uint32_t world_size() const { return where_.world_size; }
  const std::vector<uint32_t>& gpus() const { return where_.gpus; }
  /// "cuda:N" for the first bound GPU, else "cpu".
  std::string device() const {
    return where_.gpus.empty() ? "cpu" : "cuda:" + std::to_string(where_.gpus.front());
  }
  const run_identity& identity() const { return id_; }

  /// True once the runtime asks this function to stop (cooperative: lagom
  /// never kills a thread), or a report was answered stop. Long loops should
  /// check it, e.g. once a batch.
  bool stop_requested() const {
    return stopped_ || (stop_ && stop_->load(std::memory_order_relaxed)) ||
           (services_ != nullptr && !agreeing() && services_->stop_decided());
  }

  /// Reports metrics at `step` (recorded in the registry, shown as progress,
  /// seen by early stopping); the answer says whether to go on. Reports are
  /// asynchronous: the decision on this report may arrive after it returns
  /// (see train_services::report), and stop_requested() then turns true.
  decision report(uint64_t step, const named_values& metrics);
  /// Saves a durable checkpoint of this run (the last few are kept).
  status save_checkpoint(uint64_t step, const std::string& payload,
                         const named_values& metadata = {});
  /// The run's newest complete checkpoint; not_found when there is none.
  /// A promoted run (identity().has_parent) that has none of its own yet gets
  /// its parent run's newest instead, with the parent's step and metadata:
  /// the function goes on from where the parent stopped (steps and epochs
  /// count on from the parent's, as if this run had trained from scratch),
  /// trains up to its own budget, and its saves are its own run's. A
  /// function that ignores checkpoints trains the whole budget from scratch.
  status load_checkpoint(uint64_t& step, std::string& payload, named_values& metadata);
  /// A log record of this run (`lagom logs EXPERIMENT RUN` shows them).
  void log(const std::string& message, const std::string& level = "info");
  /// A TensorBoard scalar, written to DATA/tensorboard/<experiment>/run-<n>.
  void scalar(const std::string& tag, double value, uint64_t step);

  // --- training datasets of the feature store --------------------------------
  /// Dataset `name` at `version` (0: the newest): its version, width, label
  /// type and splits. Outside a cluster: unavailable.
  status training_dataset(const std::string& name, uint32_t version,
                          training_dataset_shape* out);
  /// Every row `req` names from offset on, at most req.count (0: all to the
  /// end), fetched in requests of at most `max_request_bytes` of features
  /// each (under the wire's 64 MiB frame cap); `out` holds them in order.
  /// Errors name the dataset; a failed request fails the call (out cleared).
  status read_training_rows(const training_rows_request& req, training_rows* out,
                            size_t max_request_bytes = size_t{16} << 20);

  // --- data-parallel jobs --------------------------------------------------
  // A rank of an `all_reduce` job (world_size() > 1) has a communicator over
  // its group; every rank must make the same calls in the same order. A
  // failed collective (a peer died, the collective timeout passed) returns
  // its status, and the function should return or throw soon: the job's
  // driver restarts the whole group from the last checkpoint. Checkpoints
  // are written by rank 0 only (save_checkpoint on another rank does
  // nothing and succeeds); load_checkpoint on every rank reads rank 0's.
  // Logs are tagged "[rank r/N]"; TensorBoard files are per rank (run-<r>).
  // Without a group (world size 1, a trial, a unit test) the collectives
  // below succeed at once and change nothing. Called from the function's
  // thread only.

  /// The group's communicator; nullptr without one.
  collective::communicator* communicator() const { return comm_; }
  /// In place: the average of every rank's `n` values (sum when `sum`).
  status all_reduce(float* data, size_t n, bool sum = false);
  status all_reduce(double* data, size_t n, bool sum = false);
  /// `bytes` bytes of rank `root`'s data copied to every rank's.
  status broadcast(void* data, size_t bytes, uint32_t root = 0);
  const data_parallel_settings& data_parallel() const { return ddp_; }
  /// The rank's Chrome-trace recorder (`timeline=true`); nullptr otherwise.
  lagom::timeline* trace() const { return trace_; }
  /// Set by the runtime before the function runs (borrowed: they outlive it).
  void attach_group(collective::communicator* comm, data_parallel_settings s,
                    lagom::timeline* trace) {
    comm_ = comm, ddp_ = s, trace_ = trace;
  }

private:
  /// A trial's ranks learn of a stop together, at a report (agree_stop).
  bool agreeing() const { return comm_ != nullptr && ddp_.agree_stop && where_.world_size > 1; }

  placement where_;
  named_values params_;
  std::shared_ptr<const std::atomic<bool>> stop_;
  run_identity id_;
  train_services* services_;
  bool stopped_ = false;
  collective::communicator* comm_ = nullptr;
  data_parallel_settings ddp_;
  lagom::timeline* trace_ = nullptr;
};

using train_fn = std::function<named_values(train_context&)>;

struct train_fn_registration {
  std::string name;
  train_fn fn;
  std::vector<param_spec> params;  // the hyperparameters it takes
  bool open = true;                // true: no spec, any hyperparameters
};

/// The registrations made with LAGOM_TRAIN_FN in this binary, in link order.
std::vector<train_fn_registration>& linked_train_fns();

/// Name -> function, built once by main() or the host and then read-only.
class function_registry {
public:
  function_registry() = default;
  /// A registry holding every LAGOM_TRAIN_FN of this binary.
  static function_registry from_linked();

  /// Adds `fn` under `name`, taking any hyperparameters; false when taken.
  bool add(const std::string& name, train_fn fn);
  /// Adds `fn` with the hyperparameters it takes; false when taken.
  bool add(const std::string& name, train_fn fn, std::vector<param_spec> params);
  bool add(const train_fn_registration& r);
  /// nullptr when unknown.
  const train_fn* find(const std::string& name) const;
  const train_fn_registration* lookup(const std::string& name) const;
  /// not_found for an unknown function; else check_params (closed functions).
  status check(const std::string& name, named_values& params) const;
  std::vector<std::string> names() const;

private:
  std::map<std::string, train_fn_registration> fns_;
};

namespace detail {
struct train_fn_registrar {
  train_fn_registrar(const char* name, train_fn fn) {
    linked_train_fns().push_back({name, std::move(fn), {}, true});
  }
  train_fn_registrar(const char* name, train_fn fn, std::vector<param_spec> params) {
    linked_train_fns().push_back({name, std::move(fn), std::move(params), false});
  }
};
} // namespace detail

} // namespace lagom

#define LAGOM_CONCAT_IMPL(a, b) a##b
#define LAGOM_CONCAT(a, b) LAGOM_CONCAT_IMPL(a, b)
#define LAGOM_TRAIN_FN(name, fn)                                                     \
  static ::lagom::detail::train_fn_registrar LAGOM_CONCAT(lagom_train_fn_, __LINE__) { \
    name, fn                                                                         \
  }
/// Registers `fn` with the hyperparameters it takes: a braced list of
/// lagom::param_spec (see lagom/params.hpp).
#define LAGOM_TRAIN_FN_WITH_PARAMS(name, fn, ...)                                    \
  static ::lagom::detail::train_fn_registrar LAGOM_CONCAT(lagom_train_fn_, __LINE__) { \
    name, fn, std::vector<::lagom::param_spec> __VA_ARGS__                           \
  }
