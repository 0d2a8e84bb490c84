# A single-node Slurm cluster on 127.0.0.1 for the tests and benchmarks: munged, slurmctld and
# slurmd from Debian's packages, started by PID and stopped by PID when the calling script
# exits. Source it after scripts/lib/services.sh (it uses its `cleanup` list and `free_port`).
#
# The node is named `localhost` (NodeAddr=127.0.0.1) whatever the machine's hostname is, and
# advertises more CPUs than the machine has so many trivial jobs run at once. No cgroup plugins:
# they need a delegating init system. Memory is enforced all the same, as a cluster would: the
# accounting samples each step every second and kills one over its --mem (OverMemoryKill), which
# Slurm reports as FAILED with "Exceeded job memory limit" in the job's output.

slurm_cpus=${FREDBATCH_TEST_SLURM_CPUS:-16}

# install_slurm: Debian's packages, once. Daemons must not start during the install (there is no
# init system to own them), so a policy-rc.d answering 101 is in place while apt-get runs.
install_slurm() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
    && command -v sbatch >/dev/null && command -v munged >/dev/null; then
    return
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "Slurm is not installed and installing it needs root: run as root, or" \
      "apt-get install --no-install-recommends slurmctld slurmd slurm-client munge" >&2
    exit 1
  fi
  local policy=/usr/sbin/policy-rc.d made_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
  fi
  echo "installing Slurm (slurmctld slurmd slurm-client munge)" >&2
  if ! apt-cache policy slurmctld 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get update -qq
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null || {
    [ -n "$made_policy" ] && rm -f "$policy"
    echo "installing Slurm failed" >&2
    exit 1
  }
  [ -n "$made_policy" ] && rm -f "$policy"
  return 0
}

# pid_alive FILE: whether FILE names a running process.
pid_alive() {
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# stop_pid FILE: SIGTERM the process FILE names and wait for it (SIGKILL after 10 s).
stop_pid() {
  local file=$1 pid
  pid_alive "$file" || return 0
  pid=$(cat "$file")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

# start_munge: munged as user munge, unless one is already running (then it is left alone);
# sets munge_started when it started one.
munge_started=
start_munge() {
  local pidfile=/run/munge/munged.pid
  if pid_alive "$pidfile"; then
    return
  fi
  mkdir -p /run/munge
  chown munge:munge /run/munge
  if [ ! -s /etc/munge/munge.key ]; then
    echo "/etc/munge/munge.key is missing: reinstall munge (its postinst creates the key)" >&2
    exit 1
  fi
  setpriv --reuid=munge --regid=munge --clear-groups munged || {
    echo "munged did not start; see /var/log/munge/munged.log" >&2
    exit 1
  }
  for _ in $(seq 1 50); do
    pid_alive "$pidfile" && break
    sleep 0.1
  done
  munge_started=1
}

# write_slurm_conf DIR: the configuration, in DIR/slurm.conf.
write_slurm_conf() {
  local dir=$1 memory
  # RealMemory above the machine's makes the node `inval`; take what slurmd itself measures.
  memory=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
  if [ -z "$memory" ]; then
    echo "slurmd -C printed no RealMemory: $(slurmd -C 2>&1)" >&2
    exit 1
  fi
  cat >"$dir/slurm.conf" <<EOF
ClusterName=fredbatch-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
# No cgroups: there is no init system delegating them.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
# Each step measured every second and killed once over its --mem (the default 30 s lets short
# runs finish over their memory unnoticed).
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
AccountingStorageType=accounting_storage/none
# Finished jobs stay visible to squeue for an hour; older ones are in the completion log.
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.log
MinJobAge=3600
# One CPU is one hardware thread; memory is consumable, so jobs must not get the whole node.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=64
# The default batch_sched_delay=3 starts only a couple of jobs every 3 s.
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
# Refuse at sbatch what could never run, instead of pending forever.
EnforcePartLimits=ALL
KillWait=2
ReturnToService=2
SlurmdParameters=config_overrides
# A job in the high partition cancels jobs of the normal one (the PREEMPTED tests).
PreemptType=preempt/partition_prio
PreemptMode=CANCEL
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$slurm_cpus RealMemory=$memory State=UNKNOWN
PartitionName=fredbatch Nodes=localhost Default=YES MaxTime=INFINITE State=UP PriorityTier=1
PartitionName=fredbatch-high Nodes=localhost MaxTime=INFINITE State=UP PriorityTier=10
EOF
}

# start_slurm: the cluster, running until the calling script exits. Exports SLURM_CONF (every
# Slurm tool reads it), FREDBATCH_TEST_SLURM=1, FREDBATCH_TEST_SLURM_PARTITION,
# FREDBATCH_TEST_SLURM_HIGH_PARTITION, FREDBATCH_TEST_SLURM_CPUS, FREDBATCH_TEST_SLURM_DIR and
# FREDBATCH_TEST_SLURM_LOCK (a file the tests lock: the ones that disturb the node alone).
start_slurm() {
  install_slurm
  if [ "$(id -u)" != 0 ]; then
    echo "starting slurmd needs root (it runs jobs as their submitting user)" >&2
    exit 1
  fi
  start_munge
  local dir
  dir=$(mktemp -d /tmp/fredbatch-slurm.XXXXXX)
  mkdir -p "$dir/state" "$dir/spool"
  write_slurm_conf "$dir"
  export SLURM_CONF=$dir/slurm.conf
  # The trap runs cleanup steps first to last: the Slurm daemons, then munged they talk to.
  cleanup+=("stop_pid $dir/slurmd.pid; stop_pid $dir/slurmctld.pid; rm -rf $dir")
  if [ -n "$munge_started" ]; then
    cleanup+=("stop_pid /run/munge/munged.pid")
  fi
  slurmctld -c -i -f "$SLURM_CONF" || {
    tail -n 20 "$dir/slurmctld.log" >&2
    exit 1
  }
  slurmd -N localhost -f "$SLURM_CONF" || {
    tail -n 20 "$dir/slurmd.log" >&2
    exit 1
  }
  local state=""
  for _ in $(seq 1 100); do
    state=$(sinfo -h -n localhost -o '%T' 2>/dev/null || true)
    case $state in
      idle) break ;;
      inval* | invalid*)
        echo "the Slurm node is invalid: $(scontrol show node localhost | grep -o 'Reason=.*')" >&2
        exit 1
        ;;
    esac
    sleep 0.1
  done
  if [ "$state" != idle ]; then
    echo "the Slurm node is not idle after 10 s (state: ${state:-none}); see $dir/slurmd.log:" >&2
    tail -n 20 "$dir/slurmd.log" >&2
    exit 1
  fi
  export FREDBATCH_TEST_SLURM=1
  export FREDBATCH_TEST_SLURM_PARTITION=fredbatch
  export FREDBATCH_TEST_SLURM_HIGH_PARTITION=fredbatch-high
  export FREDBATCH_TEST_SLURM_CPUS=$slurm_cpus
  export FREDBATCH_TEST_SLURM_DIR=$dir
  export FREDBATCH_TEST_SLURM_LOCK=$dir/tests.lock
  touch "$FREDBATCH_TEST_SLURM_LOCK"
}
