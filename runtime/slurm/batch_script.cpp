#include "slurm/batch_script.hpp"

#include <cctype>

namespace lagom::slurm {

namespace {

status bad(const char* flag, const std::string& value, const std::string& why) {
  return status::error(errc::invalid_argument, "'" + value + "': " + why, flag);
}

bool digits(const std::string& s) {
  return !s.empty() && s.size() <= 9 && s.find_first_not_of("0123456789") == std::string::npos;
}

// "a:b:c" split on ':' into at most `max` parts of digits.
bool clock_parts(const std::string& s, size_t min, size_t max) {
  size_t parts = 0, start = 0;
  for (;;) {
    size_t end = s.find(':', start);
    if (!digits(s.substr(start, end == std::string::npos ? std::string::npos : end - start)))
      return false;
    ++parts;
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return parts >= min && parts <= max;
}

std::string stem(const std::string& path) {
  auto slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  auto dot = name.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

bool safe_name(const std::string& s) {
  if (s.empty() || s.size() > 128)
    return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return false;
  return true;
}

} // namespace

bool valid_time(const std::string& t) {
  if (t == "infinite" || t == "UNLIMITED")
    return true;
  auto dash = t.find('-');
  if (dash == std::string::npos)
    return clock_parts(t, 1, 3);  // M, M:S, H:M:S
  return digits(t.substr(0, dash)) && clock_parts(t.substr(dash + 1), 1, 3);  // D-H[:M[:S]]
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

status validate(const submit_options& o) {
  if (o.script.empty() || o.script[0] != '/')
    return bad("script", o.script, "expected an absolute path");
  if (o.nodes < 1 || o.nodes > 4096)
    return bad("--nodes", std::to_string(o.nodes), "expected 1..4096");
  if (o.cpus_per_node > 4096)
    return bad("--cpus-per-node", std::to_string(o.cpus_per_node), "expected 1..4096");
  if (o.gpus_per_node > 64)
    return bad("--gpus-per-node", std::to_string(o.gpus_per_node), "expected 0..64");
  if (!o.time.empty() && !valid_time(o.time))
    return bad("--time", o.time,
               "expected minutes, M:S, H:M:S, D-H, D-H:M or D-H:M:S (Slurm's forms)");
  if (!o.partition.empty() && !safe_name(o.partition))
    return bad("--partition", o.partition, "expected letters, digits, '_', '-' or '.'");
  if (!o.job_name.empty() && !safe_name(o.job_name))
    return bad("--job-name", o.job_name, "expected letters, digits, '_', '-' or '.'");
  if (o.lagom_binary.empty() || o.lagom_binary[0] != '/')
    return bad("lagom binary", o.lagom_binary, "expected an absolute path");
  if (o.data_dir.empty() || o.data_dir[0] != '/')
    return bad("--data", o.data_dir, "expected an absolute path (every host must see it)");
  // It is written into `#SBATCH --output=`, where Slurm splits at blanks and
  // reads '%' as a pattern.
  if (o.data_dir.find_first_of(" \t\n\r%") != std::string::npos)
    return bad("--data", o.data_dir, "no blanks or '%' (sbatch --output reads them)");
  return status::ok();
}

std::string render_batch_script(const submit_options& o) {
  std::string name = o.job_name;
  if (name.empty()) {
    name = "lagom-" + stem(o.script);
    for (auto& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
        c = '_';
  }
  std::string s = "#!/bin/bash\n";
  s += "#SBATCH --job-name=" + name + "\n";
  s += "#SBATCH --nodes=" + std::to_string(o.nodes) + "\n";
  s += "#SBATCH --ntasks-per-node=1\n";
  if (o.cpus_per_node > 0)
    s += "#SBATCH --cpus-per-task=" + std::to_string(o.cpus_per_node) + "\n";
  if (o.gpus_per_node > 0)
    s += "#SBATCH --gres=gpu:" + std::to_string(o.gpus_per_node) + "\n";
  if (!o.time.empty())
    s += "#SBATCH --time=" + o.time + "\n";
  if (!o.partition.empty())
    s += "#SBATCH --partition=" + o.partition + "\n";
  // Slurm opens the output file itself: the folder exists (submit made it).
  s += "#SBATCH --output=" + o.data_dir + "/slurm/job-%j.log\n";
  s += R"SH(#
# Written by `lagom slurm submit`. A lagom head on this (the batch) host, one
# `lagom node --join slurm` per allocated host (one srun step each), then the
# script against them; everything in one data directory. On the script's end,
# or SIGTERM (scancel), the script, the nodes and the head are stopped in that
# order: SIGTERM, at most 10 s, then SIGKILL.
set -u
)SH";
  s += "LAGOM=" + shell_quote(o.lagom_binary) + "\n";
  s += "DATA=" + shell_quote(o.data_dir) + "\n";
  s += "SCRIPT=" + shell_quote(o.script) + "\n";
  s += "NODES=" + std::to_string(o.nodes) + "\n";
  s += R"SH(JOB_DIR="$DATA/slurm/job-$SLURM_JOB_ID"
mkdir -p "$JOB_DIR" || exit 1
LAGOM_TOKEN="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export LAGOM_TOKEN
# The job's token, readable by its owner only: `lagom slurm status` and clients
# outside the job read it from here.
(umask 077; printf '%s\n' "$LAGOM_TOKEN" > "$JOB_DIR/token") || exit 1
head_pid=""; run_pid=""; node_pids=()

say() { echo "[lagom slurm job $SLURM_JOB_ID $(date -u +%H:%M:%S.%3N)] $*"; }
state() { echo "$*" > "$JOB_DIR/state"; }

# SIGTERM, then up to 10 s for the processes to end, then SIGKILL.
stop_pids() {
  local p left
  for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 1 100); do
    left=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && left=1; done
    [ "$left" = 0 ] && break
    sleep 0.1
  done
  for p in "$@"; do kill -KILL "$p" 2>/dev/null; done
  for p in "$@"; do wait "$p" 2>/dev/null; done
}

stop_all() {
  [ -n "$run_pid" ] && stop_pids "$run_pid"
  [ "${#node_pids[@]}" -gt 0 ] && stop_pids "${node_pids[@]}"
  [ -n "$head_pid" ] && stop_pids "$head_pid"
}

on_signal() {
  say "cancelled ($1): stopping the script, the nodes and the head"
  state "cancelled"
  trap - TERM INT
  stop_all
  say "stopped"
  exit 143
}
trap 'on_signal SIGTERM' TERM
trap 'on_signal SIGINT' INT

{
  echo "SLURM_JOB_ID=$SLURM_JOB_ID"
  echo "SLURM_JOB_NAME=${SLURM_JOB_NAME:-}"
  echo "SLURM_JOB_NODELIST=$SLURM_JOB_NODELIST"
  echo "SLURM_SUBMIT_DIR=${SLURM_SUBMIT_DIR:-}"
  echo "LAGOM_SCRIPT=$SCRIPT"
  echo "STARTED=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
} > "$JOB_DIR/job.env"
state "starting"
say "data in $DATA, job files in $JOB_DIR"

"$LAGOM" --data "$DATA" head --listen slurm --shared-data "$DATA" > "$JOB_DIR/head.log" 2>&1 &
head_pid=$!
addr=""
for _ in $(seq 1 300); do
  addr=$(sed -n 's/^lagom head listening on //p' "$JOB_DIR/head.log")
  [ -n "$addr" ] && break
  if ! kill -0 "$head_pid" 2>/dev/null; then
    say "the head exited before it listened:"; cat "$JOB_DIR/head.log"; state "failed"; exit 1
  fi
  sleep 0.05
done
if [ -z "$addr" ]; then
  say "the head did not listen within 15 s"; stop_all; state "failed"; exit 1
fi
echo "$addr" > "$JOB_DIR/head.addr"
export LAGOM_HEAD_PORT="${addr##*:}"
say "head listening on $addr"

for host in $(scontrol show hostnames "$SLURM_JOB_NODELIST"); do
  srun --nodes=1 --ntasks=1 --nodelist="$host" --overlap --kill-on-bad-exit=0 \
    --job-name="lagom-node-$host" \
    "$LAGOM" --data "$DATA" node --join slurm --shared-data "$DATA" > "$JOB_DIR/node-$host.log" 2>&1 &
  node_pids+=($!)
done

if ! "$LAGOM" --data "$DATA" status --connect "$addr" --wait-nodes "$NODES" --wait-ms 60000 \
     > "$JOB_DIR/status.log" 2>&1; then
  say "$NODES node(s) did not join within 60 s:"; cat "$JOB_DIR/status.log"
  stop_all; state "failed"; exit 1
fi
say "$NODES node(s) joined; running $SCRIPT"
state "running"

"$LAGOM" --data "$DATA" run "$SCRIPT" --connect "$addr" &
run_pid=$!
wait "$run_pid"
rc=$?
run_pid=""
say "the script exited with code $rc; stopping the nodes and the head"
stop_all
state "finished $rc"
exit "$rc"
)SH";
  return s;
}

} // namespace lagom::slurm
