#!/usr/bin/env bash
# A throwaway single-node Slurm cluster from Debian's slurm-wlm and munge, for tests, as root:
#   slurm-cluster.sh start <dir>   writes <dir>/slurm.conf, starts munged, slurmctld and slurmd (export SLURM_CONF=<dir>/slurm.conf)
#   slurm-cluster.sh stop <dir>    cancels every job and stops the three daemons
# Its own ports, socket and state folder, so a cluster already on the machine is left alone. task/none and
# proctrack/linuxproc need no cgroup configuration; the node offers 4 CPUs whatever the machine has, so a 4-task array runs at once.
set -euo pipefail
action=$1; d=$(realpath -m "$2")
case "$action" in
start)
  mkdir -p "$d/state" "$d/spool" "$d/log" "$d/munge"
  host=$(hostname -s)
  cat > "$d/slurm.conf" <<CONF
ClusterName=hmt
SlurmctldHost=$host
SlurmctldPort=6917
SlurmdPort=6918
AuthType=auth/munge
CryptoType=crypto/munge
AuthInfo=socket=$d/munge/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmUser=root
SlurmdUser=root
SlurmdParameters=config_overrides
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=4 State=UNKNOWN
PartitionName=hmt Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  chown munge:munge "$d/munge"
  /usr/sbin/munged --force --socket="$d/munge/munge.socket" --pid-file="$d/munge/munged.pid" --log-file="$d/log/munged.log" --seed-file="$d/munge/seed"
  export SLURM_CONF="$d/slurm.conf"
  /usr/sbin/slurmctld -c
  /usr/sbin/slurmd -c
  # Ready when the node takes jobs (sinfo answers idle).
  for _ in $(seq 1 100); do
    if sinfo -h -o '%t' 2>/dev/null | grep -q idle; then exit 0; fi
    sleep 0.2
  done
  echo "Slurm did not come up; see $d/log" >&2; exit 1 ;;
stop)
  export SLURM_CONF="$d/slurm.conf"
  scancel --full --quiet --partition=hmt 2>/dev/null || true
  for pid in "$d/slurmd.pid" "$d/slurmctld.pid" "$d/munge/munged.pid"; do
    if [ -f "$pid" ]; then kill "$(cat "$pid")" 2>/dev/null || true; fi
  done ;;
esac
