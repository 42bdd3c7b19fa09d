// The `lagom` binary: every face of the runtime in one program.
//   lagom run FILE [K=V]  a .lagom script on an embedded cluster (or --connect)
//   lagom shell           the same language, interactively
//   lagom head / node     a multi-process, multi-machine cluster
//   lagom status          nodes and resources
//   lagom experiments     the experiment registry; show EXPERIMENT; logs EXPERIMENT [RUN]
//   lagom resume NAME     continue a search or launch whose driver or head died
//   lagom slurm submit    a cluster and a script as one sbatch job; slurm status JOB

//   lagom fs ACTION       the feature store: list, show, stats, versions, drop
//   lagom functions       the train functions this binary can run
//   lagom cert init/issue the cluster's own CA and certificates for --tls
// Exit codes: 0 ok, 1 failed at run time, 2 bad input (flag, file, line).
#include <algorithm>
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands/commands.hpp"
#include "actors/services.hpp"
#include "cli/script/commands.hpp"
#include "core/log.hpp"
#include "lagom/train.hpp"

namespace {

void add_cluster_flags(CLI::App* app, lagom::cli::cluster_flags& f) {
  app->add_option("--connect", f.connect, "HOST:PORT of a lagom head (default: embedded)");
  app->add_option("--token", f.token, "with --connect: the cluster token (or LAGOM_TOKEN)");
  app->add_option("--tls", f.tls, "with --connect: TLS with DIR/{ca,cert,key}.pem (lagom cert)");
  app->add_option("--nodes", f.nodes, "embedded cluster: virtual nodes")
    ->check(CLI::Range(1u, 256u));
  app->add_option("--cpus-per-node", f.cpus_per_node, "embedded cluster: cpus of each node")
    ->check(CLI::Range(1u, 4096u));
  app->add_option("--memory-mb", f.memory_mb, "embedded cluster: memory of each node (MB)")
    ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  app->add_flag("--process-containers", f.process_containers,
                "embedded cluster: run each container as a worker process");
}

// A read-only command needs no room on its embedded cluster: one small node.
void add_reader_flags(CLI::App* app, lagom::cli::cluster_flags& f) {
  app->add_option("--connect", f.connect, "HOST:PORT of a lagom head (default: embedded on --data)");
  app->add_option("--token", f.token, "with --connect: the cluster token (or LAGOM_TOKEN)");
  app->add_option("--tls", f.tls, "with --connect: TLS with DIR/{ca,cert,key}.pem (lagom cert)");
  f.nodes = 1;
  f.cpus_per_node = 1;
}

} // namespace

int main(int argc, char** argv) {
  using namespace lagom::cli;
  CLI::App app{"lagom: an actor runtime for distributed deep learning"};
  app.require_subcommand(1);
  std::string log_level;
  std::string data_dir = lagom::actors::resolve_data_dir("");
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error or off (default: warn; info for head/node)");
  app.add_option("--data", data_dir, "data directory (default: $LAGOM_HOME or ~/.lagom)");

  std::string script_path;
  cluster_flags run_flags;
  auto* run = app.add_subcommand("run", "run a .lagom script");
  std::vector<std::string> script_params;
  run->add_option("file", script_path, "the script")->required();
  run->add_option("params", script_params,
                  "NAME=VALUE: set the script's `param NAME=DEFAULT` (e.g. epochs=1)");
  add_cluster_flags(run, run_flags);

  cluster_flags shell_flags;
  auto* shell = app.add_subcommand("shell", "an interactive shell on a cluster");
  add_cluster_flags(shell, shell_flags);

  head_flags hf;
  auto* head = app.add_subcommand("head", "run the cluster head (cluster_manager)");
  head->add_option("--listen", hf.listen, "HOST:PORT to listen on (port 0: any free port)");
  head->add_option("--token", hf.token, "cluster token nodes must present (or LAGOM_TOKEN)");
  head->add_option("--tls", hf.tls, "TLS: DIR/{ca,cert,key}.pem; peers must have a certificate of the same CA");
  head->add_option("--heartbeat-ms", hf.heartbeat_ms, "heartbeat interval told to nodes")
    ->check(CLI::Range(10u, 60000u));
  head->add_option("--timeout-ms", hf.timeout_ms, "drop a node silent this long")
    ->check(CLI::Range(20u, 600000u));
  head->add_option("--online-listen", hf.online_listen,
                   "HOST:PORT of the online feature door (default: --listen's host, any free "
                   "port; off: none)");
  head->add_option("--shared-data", hf.shared_data,
                   "checkpoints in DIR/checkpoints, a directory every node sees");

  node_flags nf;
  auto* node = app.add_subcommand("node", "run a node that joins a head");
  node->add_option("--join", nf.join, "HOST:PORT of the head")->required();
  node->add_option("--token", nf.token, "the cluster token (or LAGOM_TOKEN)");
  node->add_option("--tls", nf.tls, "TLS to the head: DIR/{ca,cert,key}.pem (lagom cert)");
  node->add_option("--name", nf.name, "node name (default: HOSTNAME-PID)");
  node->add_option("--cpus", nf.cpus, "cpus to offer (default: all cores)")
    ->check(CLI::Range(1u, 4096u));
  node->add_option("--memory-mb", nf.memory_mb, "memory to offer in MB (default: all)");
  node->add_option("--rejoin-max-ms", nf.rejoin_max_ms,
                   "a lost head is retried forever; at most this long between tries")
    ->check(CLI::Range(10u, 600000u));
  node->add_option("--connect-timeout-ms", nf.connect_timeout_ms,
                   "a head silent this long is lost; bounds each connect to it and each join")
    ->check(CLI::Range(100u, 600000u));
  node->add_option("--shared-data", nf.shared_data,
                   "write checkpoints and TensorBoard files into DIR (the head's --shared-data)");
  node->add_flag("--thread-containers", nf.thread_containers,
                 "run containers as threads of the node (default: worker processes)");

  worker_flags wf;
  auto* worker = app.add_subcommand("worker", "one container's process (started by a node)");
  worker->add_option("--node", wf.node, "127.0.0.1:PORT of the node_manager")->required();
  worker->add_option("--container", wf.container, "container id")->required();
  worker->add_option("--node-name", wf.node_name, "the node's name");
  worker->group(""); // not for users: hidden from --help

  status_flags sf;
  auto* status = app.add_subcommand("status", "show nodes and free/used resources");
  add_cluster_flags(status, sf.cluster);
  status->add_option("--wait-nodes", sf.wait_nodes, "first wait until this many nodes joined");
  status->add_option("--wait-running", sf.wait_running,
                     "first wait until this many functions run");
  status->add_option("--wait-ms", sf.wait_ms, "bound on the wait (ms)");

  cluster_flags exp_flags;
  auto* experiments = app.add_subcommand("experiments", "list the experiments of the registry");
  add_reader_flags(experiments, exp_flags);

  cluster_flags show_flags;
  std::string show_name;
  auto* show = app.add_subcommand("show", "show an experiment's configuration and runs");
  show->add_option("experiment", show_name, "the experiment's name")->required();
  add_reader_flags(show, show_flags);

  logs_flags lf;
  auto* logs = app.add_subcommand("logs", "print the log records of an experiment's runs");
  logs->add_option("experiment", lf.experiment, "the experiment's name")->required();
  auto* logs_run = logs->add_option("run", lf.run, "only this run's records");
  logs->add_option("--tail", lf.tail, "only the newest N records (0: all)");
  add_reader_flags(logs, lf.cluster);

  cluster_flags resume_flags;
  std::string resume_name;
  auto* resume = app.add_subcommand(
    "resume", "continue a search or a training launch whose driver or head died (finished "
              "trials and runs are kept; unfinished runs go on from their checkpoints)");
  resume->add_option("experiment", resume_name, "the search's or launch's experiment name")->required();
  add_cluster_flags(resume, resume_flags);

  auto* slurm = app.add_subcommand("slurm", "run a cluster as a Slurm job (submit, status)");
  slurm->require_subcommand(1);
  slurm_submit_flags ssf;
  auto* submit = slurm->add_subcommand(
    "submit", "submit SCRIPT as an sbatch job: head, one node per host, the script");
  submit->add_option("script", ssf.script, "the .lagom script")->required();
  submit->add_option("--nodes", ssf.nodes, "hosts, one lagom node each")
    ->check(CLI::Range(1u, 4096u));
  submit->add_option("--cpus-per-node", ssf.cpus_per_node, "cpus of each host (sbatch --cpus-per-task)")
    ->check(CLI::Range(1u, 4096u));
  submit->add_option("--gpus-per-node", ssf.gpus_per_node, "GPUs of each host (sbatch --gres=gpu:G)")
    ->check(CLI::Range(0u, 64u));
  submit->add_option("--time", ssf.time, "time limit (Slurm's forms: M, H:M:S, D-H, ...)");
  submit->add_option("--partition", ssf.partition, "Slurm partition");
  submit->add_option("--job-name", ssf.job_name, "Slurm job name (default lagom-SCRIPT)");
  slurm_status_flags ssq;
  auto* slurm_status = slurm->add_subcommand(
    "status", "a Slurm job's state, the lagom cluster inside it, the script's output");
  slurm_status->add_option("job", ssq.job, "the Slurm job id")->required();

  fs_flags fsf;
  auto* fs = app.add_subcommand("fs", "the feature store: list, show, stats, versions, drop");
  fs->add_option("action", fsf.action, "list | show | stats | versions | drop")
    ->required()
    ->check(CLI::IsMember({"list", "show", "stats", "versions", "drop"}));
  fs->add_option("name", fsf.name, "the feature group");
  fs->add_option("--version", fsf.version, "show, stats: this version (default: the newest)");
  fs->add_option("--rows", fsf.rows, "show: this many rows (default 20)");
  add_reader_flags(fs, fsf.cluster);

  auto* functions = app.add_subcommand("functions", "list the train functions of this binary");

  std::string cert_dir, cert_name;
  auto* cert = app.add_subcommand("cert", "the cluster's own CA for --tls");
  cert->require_subcommand(1);
  auto* cert_init = cert->add_subcommand("init", "make a cluster CA in DIR (ca.pem, ca.key)");
  cert_init->add_option("dir", cert_dir, "the CA's directory")->required();
  auto* cert_issue = cert->add_subcommand(
    "issue", "a certificate for NAME signed by the CA in DIR, into DIR/NAME (--tls DIR/NAME)");
  cert_issue->add_option("dir", cert_dir, "the CA's directory")->required();
  cert_issue->add_option("name", cert_name, "the head's, a node's or a client's name")->required();

  // The first word that is not a flag must name a subcommand.
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word.empty() || word[0] == '-') {
      if (word == "--log-level" || word == "--data")
        ++i; // skip the flag's value
      continue;
    }
    std::vector<std::string> names;
    for (auto* sub : app.get_subcommands([](CLI::App*) { return true; }))
      names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), word) == names.end()) {
      auto close = lagom::script::suggest(word, names);
      std::cerr << "lagom: unknown command '" << word << "'"
                << (close.empty() ? "" : "; did you mean '" + close + "'?")
                << " (commands: run, shell, head, node, status, experiments, show, logs, "
                   "resume, slurm, fs, functions, cert; see --help)\n";
      return 2;
    }
    break;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  // The global --data reaches every command that opens a cluster or a head.
  for (auto* f : {&run_flags, &shell_flags, &sf.cluster, &exp_flags, &show_flags, &lf.cluster,
                 &resume_flags, &fsf.cluster})
    f->data_dir = data_dir;
  lf.has_run = logs_run->count() > 0;
  hf.data_dir = data_dir;
  bool daemon = head->parsed() || node->parsed();
  if (!lagom::log::set_level(log_level.empty() ? (daemon ? "info" : "warn") : log_level)) {
    std::cerr << "lagom: --log-level " << log_level
              << ": expected trace, debug, info, warn, error or off\n";
    return 2;
  }
  if (run->parsed())
    return run_script(script_path, run_flags, script_params);
  if (shell->parsed())
    return run_shell(shell_flags, data_dir);
  if (head->parsed())
    return run_head(hf);
  if (node->parsed()) {
    nf.data_dir = data_dir;
    return run_node(nf);
  }
  if (status->parsed())
    return run_status(sf);
  if (worker->parsed()) {
    wf.data_dir = data_dir;
    return run_worker(wf);
  }
  if (experiments->parsed())
    return run_experiments(exp_flags);
  if (show->parsed())
    return run_show(show_flags, show_name);
  if (logs->parsed())
    return run_logs(lf);
  if (resume->parsed())
    return run_resume(resume_flags, resume_name);
  if (submit->parsed()) {
    ssf.data_dir = data_dir;
    return run_slurm_submit(ssf);
  }
  if (slurm_status->parsed()) {
    ssq.data_dir = data_dir;
    return run_slurm_status(ssq);
  }
  if (cert_init->parsed())
    return run_cert_init(cert_dir);
  if (cert_issue->parsed())
    return run_cert_issue(cert_dir, cert_name);
  if (fs->parsed())
    return run_fs(fsf);
  if (functions->parsed()) {
    for (auto& name : lagom::function_registry::from_linked().names())
      std::cout << name << "\n";
    return 0;
  }
  return 2;
}
