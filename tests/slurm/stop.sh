#!/bin/bash
# tests/slurm/stop.sh -- stop the daemons that tests/slurm/start.sh started, by their PID files only
# (never by name: other slurm/munge daemons on the machine are left alone). Idempotent.
#   SLURM_TEST_DIR  the state dir start.sh used (default /tmp/iactdl-slurm)
#   PURGE=1         also remove the state dir (logs, spool, fake devices)
# The generated /etc/slurm/{slurm,gres}.conf are always removed (start.sh writes them anew): with a
# slurm.conf naming a controller that is gone, every `scontrol`/`sacct` call -- and so every
# `snakemake` start, whose slurm plugin asks `scontrol show config` at import -- hangs ~10 s.
D=${SLURM_TEST_DIR:-/tmp/iactdl-slurm}
stop() {  # name pidfile
  local pf=$2 pid
  [ -s "$pf" ] || return 0
  pid=$(cat "$pf")
  if kill -0 "$pid" 2>/dev/null; then
    echo "stopping $1 (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then echo "  $1 still alive, SIGKILL"; kill -KILL "$pid"; fi
  fi
  rm -f "$pf"
}
# cancel what is left in the queue first (job steps die with their jobs), only if ours is running
if [ -s "$D/run/slurmctld.pid" ] && kill -0 "$(cat "$D/run/slurmctld.pid")" 2>/dev/null; then
  scancel --user=root 2>/dev/null || true
  sleep 0.5
fi
stop slurmd "$D/run/slurmd.pid"
stop slurmctld "$D/run/slurmctld.pid"
stop munged "$D/run/munged.pid"
for f in slurm.conf gres.conf; do
  # only if it is ours (same content as start.sh's copy in the state dir)
  if [ -f "/etc/slurm/$f" ] && cmp -s "/etc/slurm/$f" "$D/$f"; then rm -f "/etc/slurm/$f"; fi
done
if [ "${PURGE:-0}" = 1 ]; then
  rm -rf "$D"
fi
echo "iactdl test slurm stopped"
