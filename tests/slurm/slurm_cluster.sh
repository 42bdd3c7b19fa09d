#!/usr/bin/env bash
# A real Slurm cluster on this machine for tests: munged, slurmctld and three
# slurmd (multiple-slurmd: pretend nodes n1..n3, all NodeAddr=127.0.0.1), all
# under DIR with its own slurm.conf. Installs nothing (scripts/setup does).
#
#   slurm_cluster.sh start DIR CTLD_PORT PORT1 PORT2 PORT3
#       starts everything, waits (bounded, 20 s) until sinfo shows 3 idle
#       nodes; prints "ready" or "SKIP: <why>" (exit 3) when Slurm cannot run
#       here, or "FAILED: <why>" (exit 1). The pid of every daemon it started
#       is in DIR/pids/*.pid.
#   slurm_cluster.sh stop DIR
#       cancels the jobs still queued or running (at most 15 s), then SIGTERM
#       to exactly those pids, at most 5 s, then SIGKILL.
# Use: export SLURM_CONF=DIR/slurm.conf for sbatch, squeue, scontrol.
set -u

stop() {
  local dir=$1 pids=() p jobs
  # Jobs first, while slurmctld still runs: their steps (slurmstepd and what
  # it started) outlive slurmd otherwise. Bounded: KillWait=5 then SIGKILL.
  if [ -f "$dir/slurm.conf" ] && [ -f "$dir/pids/slurmctld.pid" ] &&
     kill -0 "$(cat "$dir/pids/slurmctld.pid")" 2>/dev/null; then
    jobs=$(SLURM_CONF="$dir/slurm.conf" squeue -h -o %i 2>/dev/null)
    if [ -n "$jobs" ]; then
      # shellcheck disable=SC2086
      SLURM_CONF="$dir/slurm.conf" scancel $jobs 2>/dev/null
      for _ in $(seq 1 150); do
        [ -z "$(SLURM_CONF="$dir/slurm.conf" squeue -h -o %i 2>/dev/null)" ] && break
        sleep 0.1
      done
      echo "cancelled job(s) $(echo $jobs)"
    fi
  fi
  for f in "$dir"/pids/*.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f")
    [[ "$p" =~ ^[0-9]+$ ]] && pids+=("$p")
  done
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 1 50); do
    local left=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
    [ "$left" = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -f "$dir"/pids/*.pid
  echo "stopped ${#pids[@]} daemon(s)"
}

skip() { echo "SKIP: $*"; stop "$DIR" > /dev/null; exit 3; }
fail() { echo "FAILED: $*"; for l in "$DIR"/log/*.log; do echo "== $l"; tail -20 "$l"; done; stop "$DIR" > /dev/null; exit 1; }

case "${1:-}" in
  stop) stop "$2"; exit 0 ;;
  start) ;;
  *) echo "usage: $0 start DIR CTLD_PORT P1 P2 P3 | stop DIR" >&2; exit 2 ;;
esac

DIR=$2 CTLD_PORT=$3
NODE_PORTS=("$4" "$5" "$6")
for prog in munged mungekey slurmctld slurmd sinfo sbatch; do
  command -v "$prog" > /dev/null || skip "$prog is not installed (scripts/setup installs slurmctld slurmd slurm-client munge)"
done
[ "$(id -u)" = 0 ] || skip "the daemons run as root here (SlurmUser=root) and this user is $(id -un)"

mkdir -p "$DIR"/{munge,state,spool,log,pids} || fail "cannot create $DIR"
chmod 0755 "$DIR" "$DIR/munge"   # munged refuses a socket folder others cannot traverse

mungekey -c -k "$DIR/munge/munge.key" > /dev/null 2>&1 || fail "mungekey failed"
chmod 0400 "$DIR/munge/munge.key"
munged --socket="$DIR/munge/munge.socket.2" --key-file="$DIR/munge/munge.key" \
  --log-file="$DIR/log/munged.log" --pid-file="$DIR/munge/munged.pid" \
  --seed-file="$DIR/munge/munge.seed" 9>&- < /dev/null > "$DIR/log/munged.out" 2>&1 \
  || fail "munged did not start: $(cat "$DIR/log/munged.out")"
for _ in $(seq 1 100); do [ -s "$DIR/munge/munged.pid" ] && break; sleep 0.02; done
cp "$DIR/munge/munged.pid" "$DIR/pids/munged.pid" 2>/dev/null || fail "munged wrote no pid file"

host=$(hostname)
cpus=$(nproc)
cat > "$DIR/slurm.conf" <<CONF
ClusterName=lagomtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket.2
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/%n
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd-%n.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd-%n.log
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
KillWait=5
MinJobAge=600
SlurmdTimeout=300
InactiveLimit=0
NodeName=n1 NodeHostname=$host NodeAddr=127.0.0.1 Port=${NODE_PORTS[0]} CPUs=$cpus State=UNKNOWN
NodeName=n2 NodeHostname=$host NodeAddr=127.0.0.1 Port=${NODE_PORTS[1]} CPUs=$cpus State=UNKNOWN
NodeName=n3 NodeHostname=$host NodeAddr=127.0.0.1 Port=${NODE_PORTS[2]} CPUs=$cpus State=UNKNOWN
PartitionName=lagom Nodes=n[1-3] Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$DIR/slurm.conf

slurmctld -D -i -f "$SLURM_CONF" 9>&- < /dev/null > "$DIR/log/slurmctld.out" 2>&1 &
echo $! > "$DIR/pids/slurmctld.pid"
for n in n1 n2 n3; do
  slurmd -D -N "$n" -f "$SLURM_CONF" 9>&- < /dev/null > "$DIR/log/slurmd-$n.out" 2>&1 &
  echo $! > "$DIR/pids/slurmd-$n.pid"
done

for _ in $(seq 1 200); do
  idle=$(sinfo -h -N -o "%N %t" 2>/dev/null | grep -c " idle$")
  [ "$idle" = 3 ] && { echo "ready"; exit 0; }
  for f in "$DIR"/pids/*.pid; do
    kill -0 "$(cat "$f")" 2>/dev/null || fail "$(basename "$f" .pid) exited: $(tail -5 "$DIR/log/$(basename "$f" .pid).out" 2>/dev/null)"
  done
  sleep 0.1
done
fail "3 idle nodes not seen within 20 s: $(sinfo -N 2>&1)"
