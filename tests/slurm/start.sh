#!/bin/bash
# tests/slurm/start.sh -- bring up a REAL one-node SLURM cluster on this machine for the tests.
#
# Debian's slurm-wlm + munge, installed with apt-get if missing; everything runs as root and the
# daemons (munged, slurmctld, slurmd) are started directly (CI machines have no systemd). The node
# advertises fake GPUs: character devices with /dev/null's numbers (mknod c 1 3) listed in gres.conf
# with AutoDetect=off, so a job that asks for `--gpus=1` is scheduled on the `gpu` partition and gets
# CUDA_VISIBLE_DEVICES=0 exactly as on a real GPU node (the "GPU" itself is of course not usable).
#
# Job status: accounting is OFF (AccountingStorageType=accounting_storage/none, no slurmdbd/MariaDB)
# and MinJobAge=3600 keeps finished jobs visible to `squeue --states=all` and `scontrol show job`;
# profiles/slurm uses the executor plugin's squeue status mode. Why: without slurmdbd the plugin's
# default `sacct` fails and Snakemake waits forever; slurmdbd would need MariaDB (more apt time, one
# more daemon to manage) for nothing the tests read.
#
# Idempotent: a second call reuses running daemons (found by their PID files) and only waits for the
# node. Stop with tests/slurm/stop.sh (kills exactly the PIDs written here).
#
# Environment:
#   SLURM_TEST_DIR  state dir: pid files, logs, spool, fake devices (default /tmp/iactdl-slurm)
#   FAKE_GPUS       number of fake GPUs on the node (default 1)
#   GPU_TYPE        optional GPU type (e.g. a100): Gres=gpu:a100:N, so `gpu_model` can be tested
#   SLURM_CPUS      CPUs the node advertises (default: nproc). More than the machine has is allowed
#                   (SlurmdParameters=config_overrides): test jobs mostly wait, and a 2-core CI
#                   machine would otherwise run one 2-thread job at a time.
#   SKIP_APT=1      do not call apt-get (packages must already be installed)
set -euo pipefail

# Daemons must not inherit the caller's pipes: started from subprocess.run(capture_output=True)
# they would hold the pipe open and the caller would wait for EOF forever. Close every fd > 2.
for fd in $(ls /proc/$$/fd); do
  [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null || true
done

D=${SLURM_TEST_DIR:-/tmp/iactdl-slurm}
FAKE_GPUS=${FAKE_GPUS:-1}
HOST=$(hostname -s)
NCPU=${SLURM_CPUS:-$(nproc)}
# leave ~2 GiB to the OS (and at least 1 GiB to the jobs)
MEM_MB=$(( $(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo) - 2048 ))
[ "$MEM_MB" -lt 1024 ] && MEM_MB=1024
t0=$(date +%s)
log() { echo "[iactdl-slurm $(( $(date +%s) - t0 ))s] $*"; }

[ "$(id -u)" = 0 ] || { echo "start.sh: must run as root (daemons, mknod, /etc/slurm)" >&2; exit 2; }

# ------------------------------------------------------------------------------------ packages
if [ "${SKIP_APT:-0}" != 1 ]; then
  missing=""
  for p in slurm-wlm munge; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    command -v apt-get >/dev/null || { echo "start.sh: no apt-get to install$missing" >&2; exit 3; }
    log "apt-get install$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
fi
for b in munged slurmctld slurmd; do
  [ -x /usr/sbin/$b ] || { echo "start.sh: /usr/sbin/$b missing (install slurm-wlm munge)" >&2; exit 3; }
done

mkdir -p "$D"/{log,spool/ctld,spool/d,run,fakegpu}
chmod 755 "$D"
running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ---------------------------------------------------------------------------------------- munge
# the package's postinst creates /etc/munge/munge.key; make one if it is missing
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "starting munged"
  runuser -u munge -- /usr/sbin/munged </dev/null >/dev/null 2>&1
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  cp /run/munge/munged.pid "$D/run/munged.pid"   # marks "we started munged": stop.sh stops it
fi
munge -n | unmunge >/dev/null

# ------------------------------------------------------------------------------------ fake GPUs
# slurmd takes the GPU index from the trailing digits of File= and exports CUDA_VISIBLE_DEVICES.
GRES_NODE=""
: > "$D/gres.conf"
if [ "$FAKE_GPUS" -gt 0 ]; then
  for i in $(seq 0 $((FAKE_GPUS - 1))); do
    [ -c "$D/fakegpu/nvidia$i" ] || mknod "$D/fakegpu/nvidia$i" c 1 3
  done
  if [ -n "${GPU_TYPE:-}" ]; then
    GRES_NODE="Gres=gpu:$GPU_TYPE:$FAKE_GPUS"; TYPE_KV="Type=$GPU_TYPE "
  else
    GRES_NODE="Gres=gpu:$FAKE_GPUS"; TYPE_KV=""
  fi
  {
    echo "AutoDetect=off"
    echo "NodeName=$HOST Name=gpu ${TYPE_KV}File=$D/fakegpu/nvidia[0-$((FAKE_GPUS - 1))]"
  } > "$D/gres.conf"
fi

# ----------------------------------------------------------------------------------- slurm.conf
mkdir -p /etc/slurm
cat > "$D/slurm.conf" <<CONF
# generated by iactdl tests/slurm/start.sh -- a one-node test cluster
ClusterName=iactdl
SlurmctldHost=$HOST(127.0.0.1)
AuthType=auth/munge
CryptoType=crypto/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$D/spool/ctld
SlurmdSpoolDir=$D/spool/d
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups / systemd in a container
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
# trust the CPUs/memory written here (SLURM_CPUS may exceed the real core count)
SlurmdParameters=config_overrides
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=500
GresTypes=gpu
# accounting off: finished jobs stay visible to squeue/scontrol for an hour (squeue status mode)
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=3600
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
Waittime=0
MailProg=/bin/true
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$NCPU RealMemory=$MEM_MB $GRES_NODE State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$HOST Default=NO MaxTime=INFINITE State=UP
CONF
# idempotent: daemons already running with these files are kept; with other files (another
# FAKE_GPUS, SLURM_CPUS, ...) ours are restarted so that the node matches the request
stop_ours() {  # name pidfile
  if running "$2"; then
    log "restarting $1 (configuration changed)"
    kill -TERM "$(cat "$2")"
    for _ in $(seq 100); do running "$2" || break; sleep 0.1; done
  fi
}
if ! cmp -s "$D/slurm.conf" /etc/slurm/slurm.conf || ! cmp -s "$D/gres.conf" /etc/slurm/gres.conf; then
  stop_ours slurmd "$D/run/slurmd.pid"
  stop_ours slurmctld "$D/run/slurmctld.pid"
fi
cp "$D/slurm.conf" /etc/slurm/slurm.conf
cp "$D/gres.conf" /etc/slurm/gres.conf
# some builds read cgroup.conf even with proctrack/linuxproc
[ -e /etc/slurm/cgroup.conf ] || echo "CgroupPlugin=autodetect" > /etc/slurm/cgroup.conf

# --------------------------------------------------------------------------- slurmctld + slurmd
if ! running "$D/run/slurmctld.pid"; then
  log "starting slurmctld"
  /usr/sbin/slurmctld -c </dev/null >/dev/null 2>&1   # -c: forget earlier job state
fi
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
if ! running "$D/run/slurmd.pid"; then
  log "starting slurmd"
  /usr/sbin/slurmd </dev/null >/dev/null 2>&1
fi
state=""
for _ in $(seq 150); do
  state=$(sinfo -h -n "$HOST" -o %T 2>/dev/null | head -1)
  case "$state" in idle*|mixed*|allocated*) break ;; esac
  sleep 0.2
done
scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true
case "$state" in
  idle*|mixed*|allocated*) ;;
  *) echo "start.sh: node $HOST not idle (state '$state'); see $D/log/" >&2; exit 4 ;;
esac
sinfo
log "cluster up (state dir $D)"
