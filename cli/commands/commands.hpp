// The `lagom` subcommands. main.cpp parses flags (CLI11) into these option
// structs and calls one function, whose return value is the exit code:
// 0 success, 1 a failure at run time, 2 bad input (flag, file, script line).
#pragma once

#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

namespace lagom::cli {

struct cluster_flags {
  std::string connect;          // HOST:PORT of a head; empty = embedded
  std::string token;            // with connect: the cluster token (else LAGOM_TOKEN)
  std::string tls;              // with connect: TLS with DIR/{ca,cert,key}.pem
  uint32_t nodes = 3;           // embedded: virtual nodes
  uint32_t cpus_per_node = 2;   // embedded
  uint64_t memory_mb = 4096;    // embedded, per node
  bool process_containers = false; // embedded: containers as worker processes
  std::string data_dir;         // embedded: registry, checkpoints, logs (global --data)
};

struct head_flags {
  std::string listen = "127.0.0.1:0";
  std::string token;
  std::string tls;              // DIR/{ca,cert,key}.pem: TLS, peers verified
  uint32_t heartbeat_ms = 200;
  uint32_t timeout_ms = 2000;
  std::string data_dir;         // registry, checkpoints, logs (global --data)
  std::string shared_data;      // --shared-data: checkpoints there (every node sees it)
  std::string online_listen;    // the online feature door: HOST:PORT, off; empty: --listen's host, port 0
};

struct node_flags {
  std::string join;
  std::string token;
  std::string tls;              // DIR/{ca,cert,key}.pem: TLS to the head
  std::string name;             // default: <hostname>-<pid>
  uint32_t cpus = 0;            // default: this machine's cores
  uint64_t memory_mb = 0;       // default: this machine's memory
  bool thread_containers = false; // run containers as threads, not processes
  uint32_t rejoin_max_ms = 5000;  // cap of the backoff between rejoins of a lost head
  uint32_t connect_timeout_ms = 10000; // head silent this long = lost; bounds each connect and join
  std::string data_dir;         // TensorBoard files of the runs on this node
  std::string shared_data;      // --shared-data: the head's checkpoint directory, seen here
};

struct worker_flags {
  std::string node;             // 127.0.0.1:PORT of the node_manager
  uint64_t container = 0;
  std::string node_name;        // for the train_context
  std::string data_dir;         // the node's data directory (TensorBoard files)
};

struct status_flags {
  cluster_flags cluster;
  uint32_t wait_nodes = 0;      // wait until this many nodes joined
  uint32_t wait_running = 0;    // ... and this many functions run
  uint32_t wait_ms = 10000;
};

struct logs_flags {
  cluster_flags cluster;
  std::string experiment;
  bool has_run = false;         // RUN given: only that run's records
  uint32_t run = 0;
  uint32_t tail = 0;            // the newest N records; 0 = all
};

struct slurm_submit_flags {
  std::string script;           // the .lagom file
  uint32_t nodes = 1;
  uint32_t cpus_per_node = 0;   // 0: Slurm's default
  uint32_t gpus_per_node = 0;
  std::string time;             // Slurm's forms; empty: the partition's limit
  std::string partition;
  std::string job_name;         // empty: lagom-<script stem>
  std::string data_dir;         // global --data: must be on a filesystem every host sees
};

struct slurm_status_flags {
  std::string job;              // the Slurm job id
  std::string data_dir;         // global --data: where the job's files are
};

/// `lagom fs list|show|stats|versions|drop [NAME]`.
struct fs_flags {
  cluster_flags cluster;
  std::string action;
  std::string name;
  uint32_t version = 0;  // show, stats: 0 = newest
  uint64_t rows = 20;    // show
};
int run_fs(const fs_flags& f);

int run_head(const head_flags& f);
int run_slurm_submit(const slurm_submit_flags& f);
int run_slurm_status(const slurm_status_flags& f);
int run_node(const node_flags& f);
/// Runs script `path`; `params` are NAME=VALUE overrides of its `param`s.
int run_script(const std::string& path, const cluster_flags& f,
               const std::vector<std::string>& params = {});
int run_shell(const cluster_flags& f, const std::string& data_dir);
int run_status(const status_flags& f);
int run_worker(const worker_flags& f);
int run_experiments(const cluster_flags& f);
int run_show(const cluster_flags& f, const std::string& experiment);
int run_logs(const logs_flags& f);
int run_resume(const cluster_flags& f, const std::string& experiment);
int run_cert_init(const std::string& dir);
int run_cert_issue(const std::string& dir, const std::string& name);

/// Splits "host:port"; false with a message in `err` when malformed.
bool split_host_port(const std::string& s, std::string& host, uint16_t& port,
                     std::string& err);

/// Blocks SIGINT and SIGTERM in the calling thread and every thread it
/// starts afterwards (call it before the actor system exists); the returned
/// set is what sigwait() then waits for.
sigset_t block_stop_signals();

/// A token from the flag or, when empty, from LAGOM_TOKEN.
std::string token_or_env(const std::string& flag);

} // namespace lagom::cli
