// lagom::cluster: a handle on a running cluster, embedded or remote.
//
//   std::unique_ptr<lagom::cluster> c;
//   lagom::embedded_options opts;            // 3 virtual nodes of 2 cpus
//   if (auto st = lagom::cluster::start_embedded(opts, c); !st) die(st);
//   lagom::launch_options lo;
//   lo.all = true;                           // one container per free slot
//   std::vector<lagom::container_outcome> out;
//   auto st = c->launch("hello_gpu", lo, out);
//
// Contract: every call blocks the calling thread until done or until its
// timeout; none may be made from inside an actor or a train function. A
// cluster object is used from one thread at a time. Errors come back as a
// status naming what failed; an outcome per container carries that
// container's own status (a function that threw, a node that died).
// Destroying the object stops an embedded cluster (running functions are
// abandoned; its registry, checkpointer and log aggregator are stopped) or
// disconnects from a remote head.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lagom/experiment.hpp"
#include "lagom/feature_store.hpp"
#include "lagom/search.hpp"
#include "lagom/status.hpp"
#include "lagom/train.hpp"
#include "lagom/values.hpp"

namespace lagom {

struct embedded_options {
  uint32_t nodes = 3;
  uint32_t cpus_per_node = 2;
  uint64_t memory_mb_per_node = 4096;
  uint32_t heartbeat_ms = 200;
  uint32_t heartbeat_timeout_ms = 2000;
  /// The functions containers may run; by default every LAGOM_TRAIN_FN linked in.
  function_registry functions = function_registry::from_linked();
  /// Run each container as a worker process of `worker_binary` (a binary
  /// with lagom's `worker` subcommand, e.g. `lagom` itself) instead of a
  /// thread: a crash then costs that container only.
  bool process_containers = false;
  std::string worker_binary;
  /// Where the experiment registry, checkpoints and logs live (DATA/registry,
  /// DATA/checkpoints, DATA/logs); empty means $LAGOM_HOME, or else
  /// ~/.lagom. Created when absent. One embedded cluster per data directory
  /// per process at a time (LMDB allows one open of an environment).
  std::string data_dir;
  /// The process's log level (lagom logs to stderr): trace, debug, info,
  /// warn, error or off; empty leaves it as it is (info unless set before).
  std::string log_level;
};

/// What a launch tells its caller while it runs (see launch_options::on_progress).
struct progress_event {
  enum kind_t { started, report, finished, failed, restarting } kind = report;
  std::string experiment;
  uint32_t run = 0;            // = rank
  uint32_t attempt = 1;
  std::string node;
  uint64_t step = 0;           // report
  named_values metrics;        // report: as reported; finished: the result
  std::string error;           // failed, restarting: why
};

struct launch_options {
  uint32_t count = 1;          // containers wanted
  bool all = false;            // as many as fit now (count ignored)
  uint32_t cpus = 1;           // per container
  uint32_t gpus = 0;           // per container
  uint64_t memory_mb = 0;      // per container
  bool gang = false;           // all `count` at once or none
  bool spread = false;         // spread over nodes instead of packing
  bool queue = false;          // wait for resources instead of failing
  named_values params;         // handed to every container's function
  std::string owner = "driver";
  /// The experiment's name in the registry; empty: "<function>-<time>".
  std::string name;
  /// A run whose container is lost (its node or worker process died) is
  /// started again on a new container, at most this many times within 10
  /// minutes, with backoff; the function restores its checkpoint. Gang
  /// launches are not restarted run by run.
  uint32_t max_restarts = 3;
  /// Called on a runtime thread, one event at a time, while the launch runs.
  std::function<void(const progress_event&)> on_progress;
  /// Bound on the whole launch; zero means no bound.
  std::chrono::milliseconds timeout{0};
  /// Continue the launch recorded as `name` (its driver or head died): its
  /// function, hyperparameters, count and resources come from the registry
  /// (the fields above are ignored but for on_progress and timeout); only its
  /// unfinished runs start again, each with its rank, from its newest
  /// checkpoint. Finished runs are kept as recorded.
  bool resume = false;
};

struct container_outcome {
  std::string experiment;
  uint32_t run = 0;
  uint32_t attempts = 1;
  uint64_t container_id = 0;
  std::string node;
  uint32_t cpus = 0;
  std::vector<uint32_t> gpus;
  uint32_t rank = 0;
  std::string device;          // "cpu" / "cuda:N" as the function saw it
  status result;               // ok, function_failed, container_lost, ...
  named_values values;         // what the function returned
  double elapsed_ms = 0;
};

/// A data-parallel job: `workers` ranks of `function` in a gang, gradients
/// all-reduced (see the README's data-parallel section and DESIGN.md 6).
struct collective_options {
  uint32_t workers = 1;        // ranks (containers), >= 1
  uint32_t min_workers = 0;    // 0: workers; else run with min_workers..workers (torchrun MIN:MAX)
  uint32_t cpus = 1;           // per rank
  uint32_t gpus = 0;           // per rank
  uint64_t memory_mb = 0;      // per rank
  bool spread = false;         // one rank per node round robin (else pack)
  double bucket_mb = 25;       // gradient bucket size after the first 1 MiB, > 0
  uint32_t accumulate = 1;     // micro-batches per all-reduce (no_sync), >= 1
  bool sync_bn = false;        // BatchNorm over the global batch (SyncBatchNorm)
  /// "auto": shm when every rank is on one host, gloo across hosts, nccl when
  /// every rank has a GPU and NCCL is built in; or "shm", "gloo", "nccl".
  std::string backend = "auto";
  bool timeline = false;       // a Chrome trace: DATA/timelines/<experiment>.json
  uint32_t max_restarts = 3;   // new generations of the whole group after failures
  std::chrono::milliseconds rendezvous_timeout{30000};
  std::chrono::milliseconds collective_timeout{60000};
  named_values params;         // the function's hyperparameters
  std::string name;            // the experiment's name; empty: "<function>-<time>"
  std::string owner = "driver";
  /// Events as for a launch (run = rank), plus one `report` per epoch for run
  /// 0 whose metrics are the averaged ones with "rank<r>.step_ms" for each rank.
  std::function<void(const progress_event&)> on_progress;
  std::chrono::milliseconds timeout{0}; // bound on the whole job; zero: none
};

struct collective_result {
  std::string experiment;
  uint32_t world_size = 0;     // ranks of the last generation
  uint64_t generations = 0;    // 1 + restarts
  std::string backend;         // "shm", "gloo" or "nccl"
  std::vector<container_outcome> ranks; // the last generation's, by rank
  std::string timeline;        // the trace file written (timeline = true), else empty
};

struct node_view {
  uint32_t id = 0;
  std::string name, host;
  uint32_t cpus = 0, cpus_used = 0;
  uint64_t memory_mb = 0, memory_used_mb = 0;
  uint32_t gpus = 0, gpus_used = 0;
  uint32_t containers = 0;
  std::vector<std::string> gpu_names;
};

struct cluster_view {
  std::vector<node_view> nodes;
  uint32_t queued_requests = 0;
  uint32_t lost_nodes = 0;
};

class cluster {
public:
  /// Starts cluster_manager and `opts.nodes` node_managers in this process and
  /// waits until every node has joined.
  static status start_embedded(const embedded_options& opts, std::unique_ptr<cluster>& out);

  /// Connects to a head started with `lagom head` ("host:port") with the
  /// cluster token, and checks the token at once: a head that refuses it is
  /// errc::unauthorized naming the address. Every request of this process
  /// then carries the token (it is the process's: one cluster per process).
  /// Once connected, a lost head ends every wait of this cluster's calls
  /// with errc::container_lost ("the head at ... is gone") within `timeout`
  /// (the connection's heartbeat timeout).
  static status connect(const std::string& host_port, const std::string& token,
                        std::unique_ptr<cluster>& out,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// As above, over TLS when `tls_dir` is not empty: the directory holds
  /// ca.pem, cert.pem and key.pem (`lagom cert issue`); the head must have
  /// a certificate of the same CA (and this client's is checked by it).
  static status connect(const std::string& host_port, const std::string& token,
                        const std::string& tls_dir, std::unique_ptr<cluster>& out,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// As above with the token of $LAGOM_TOKEN.
  static status connect(const std::string& host_port, std::unique_ptr<cluster>& out,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// Requests containers, runs `function` in each (rank i of n), waits for
  /// all, releases the containers. Fails as a whole only when no container
  /// could be granted; per-container failures are in `out`.
  status launch(const std::string& function, const launch_options& opts,
                std::vector<container_outcome>& out);

  /// Runs a data-parallel job (Maggy's experiment.collective_all_reduce):
  /// validates `opts` against the cluster (invalid_argument or infeasible
  /// naming the field: workers, min_workers, gpus, bucket_mb, accumulate),
  /// gang-allocates the ranks, runs them, and restarts the whole group as a
  /// new generation from rank 0's last checkpoint when a rank is lost (at
  /// most max_restarts). ok when every rank of the last generation returned;
  /// `out` says how it went either way.
  status collective_all_reduce(const std::string& function, const collective_options& opts,
                               collective_result& out);

  /// Nodes with their capacity and use.
  status describe(cluster_view& out);

  /// Waits until at least `nodes` nodes are joined and at least `running`
  /// functions are in flight.
  status await(uint32_t nodes, uint32_t running, std::chrono::milliseconds timeout);

  /// True for an embedded cluster.
  bool embedded() const;

  /// Stops this process's work on the cluster (a SIGTERM or SIGINT handler
  /// calls it): every running launch asks its functions to stop (they
  /// return, and checkpoint as they do) and records its runs `cancelled`
  /// with `reason`, its experiment `stopped`; the waiting launch() returns
  /// an error. Then, once no launch or search of this process is waiting (at
  /// most `grace`), an embedded cluster marks whatever its registry still
  /// has running (a search's trials too) cancelled the same way
  /// (actors/cancel_runs.hpp); a remote head's registry is the head's to
  /// mark. Every later launch or search fails at once. The one call that may
  /// come from another thread while a call of this cluster blocks. Returns
  /// the registry sweep's error, else ok; `runs` (if given) counts the runs
  /// the sweep marked.
  status cancel(const std::string& reason, std::chrono::milliseconds grace,
                uint32_t* runs = nullptr);

  // --- hyperparameter search (lagom/search.hpp) --------------------------------

  /// Runs a search of `function` over `space` and waits for its end. Bad
  /// input (direction, metric, an empty space, an unknown optimizer or rule,
  /// a setting out of range, a hyperparameter the function does not take) is
  /// invalid_argument or not_found naming it, before any trial runs. Trials
  /// that fail do not fail the search: they are in `out`.
  status search(const std::string& function, const searchspace& space,
                const search_options& opts, search_result& out,
                const search_watch& watch = {});

  /// Continues search `experiment` from the registry (its driver or head
  /// died): finished trials are kept, unfinished ones run again, and the
  /// optimizer goes on to the trial budget.
  status resume(const std::string& experiment, search_result& out,
                const search_watch& watch = {});

  // --- experiments, metrics and logs ------------------------------------------
  // Read from the cluster's services (the head's, or the embedded cluster's
  // on embedded_options::data_dir). An unknown experiment is not_found naming
  // it; a head without services is unavailable.

  /// Every experiment, by id (creation order), with its runs.
  status list_experiments(std::vector<experiment_view>& out);
  /// Experiment `name` with its runs.
  status experiment(const std::string& name, experiment_view& out);
  /// The series of metric `key` of run `run`, by step (empty when the run
  /// never reported it; not_found naming "<name>/<run>" for an unknown run).
  status metric_series(const std::string& experiment, uint32_t run, const std::string& key,
                       std::vector<metric_point>& out);
  /// The log records of run `run`, or of every run when `run` is empty:
  /// ordered by run, then oldest first; with tail > 0 only the newest `tail`
  /// (by time). not_found naming the experiment when it has no logs.
  status logs(const std::string& experiment, std::optional<uint32_t> run, uint32_t tail,
              std::vector<log_line>& out);

  // --- the feature store (lagom/feature_store.hpp) ----------------------------

  /// A handle on the cluster's feature store (the head's feature_store_router;
  /// embedded: this process's, on embedded_options::data_dir). It borrows
  /// this cluster.
  lagom::feature_store feature_store() { return lagom::feature_store(this); }

  ~cluster();
  cluster(const cluster&) = delete;
  cluster& operator=(const cluster&) = delete;

  struct impl;
  impl& internals() { return *impl_; }

private:
  explicit cluster(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace lagom
