#!/usr/bin/env bash
# Start a single-node SLURM cluster (munged + slurmctld + slurmd, all on localhost) for CI and
# for tests/slurm.rs. Debian 12 (slurm-wlm 22.05, munge 0.5), run as root, no systemd needed,
# no cgroups, no accounting database.
#
# Idempotent: a second run while the cluster is up does nothing; a changed slurm.conf leads to
# `scontrol reconfigure`; stale pid files (daemon dead, pid reused, zombie) are handled.
# Stop it with scripts/stop-slurm.sh.
#
# Environment:
#   SLURM_IDLE_TIMEOUT   seconds to wait for the node to become idle   (default 120)
#   SLURM_MUNGE_TIMEOUT  seconds to wait for munged to answer          (default 120)
#
# Recipe and pitfalls: /work/shared/notes/slurm-single-node.md (tested on Debian 12,
# slurm-wlm 22.05.8, munge 0.5.15).
set -euo pipefail

NODE="$(hostname -s 2>/dev/null || uname -n)"
NCPU="$(nproc)"
# RealMemory must not exceed what slurmd detects, else the node is drained ("Low RealMemory").
MEM_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
IDLE_TIMEOUT="${SLURM_IDLE_TIMEOUT:-120}"
MUNGE_TIMEOUT="${SLURM_MUNGE_TIMEOUT:-120}"

T0=$(date +%s.%N)
step() { awk -v t0="$T0" -v now="$(date +%s.%N)" -v msg="$*" \
          'BEGIN { printf "[slurm-setup] +%.1fs %s\n", now - t0, msg }'; }
alive() {  # alive PIDFILE NAME: the pid in PIDFILE runs, is NAME, and is not a zombie
  local pid
  [ -s "$1" ] || return 1
  pid="$(cat "$1")"
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] \
    && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}
munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
dump_logs() {
  echo "----- sinfo -----" >&2
  sinfo -N -l >&2 2>&1 || true
  for f in /var/log/munge/munged.log /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log; do
    if [ -f "$f" ]; then echo "----- tail $f -----" >&2; tail -n 30 "$f" >&2 || true; fi
  done
}
# Any failing command: say where, print the daemons' logs, exit with its status.
trap 'rc=$?; echo "[slurm-setup] FAILED (exit $rc) at line $LINENO: $BASH_COMMAND" >&2; dump_logs; exit $rc' ERR

if [ "$(id -u)" != 0 ]; then
  echo "[slurm-setup] must run as root (installs packages, starts daemons)" >&2
  exit 1
fi
step "node $NODE, $NCPU CPUs, RealMemory=${MEM_MB} MB"

# 1. packages (8 packages, ~7 s; the slurm-wlm metapackage isn't needed)
step "packages"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
   || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  step "installing slurmctld slurmd slurm-client munge with apt-get"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    slurmctld slurmd slurm-client munge </dev/null
fi

# 2. munge key (munge's postinst normally creates one already)
step "munge key"
if [ ! -s /etc/munge/munge.key ]; then
  install -d -o munge -g munge -m 0700 /etc/munge
  runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key
fi
chown munge:munge /etc/munge/munge.key
chmod 0600 /etc/munge/munge.key

# 3. munged: no systemd, so start it directly as user munge; it daemonizes itself.
#    /run/munge is normally made by systemd's RuntimeDirectory.
step "munged"
install -d -o munge -g munge -m 0755 /run/munge
if ! munge_ok; then
  runuser -u munge -- /usr/sbin/munged
  deadline=$(( $(date +%s) + MUNGE_TIMEOUT ))
  until munge_ok; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "[slurm-setup] munged not answering after ${MUNGE_TIMEOUT}s" >&2
      dump_logs
      exit 1
    fi
    sleep 0.2
  done
fi

# 4. slurm.conf (rewritten only when it differs)
step "slurm.conf"
install -d -m 0755 /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
conf_new="$(mktemp)"
cat > "$conf_new" <<CONF
# Written by brunel's scripts/setup-slurm.sh: a single-node cluster on localhost.
ClusterName=local
SlurmctldHost=${NODE}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
EnforcePartLimits=ALL
# Finished jobs (and array tasks) stay queryable with squeue/scontrol this long (no sacct).
MinJobAge=300
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName=${NODE} NodeAddr=127.0.0.1 CPUs=${NCPU} RealMemory=${MEM_MB} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
conf_changed=0
if ! cmp -s "$conf_new" /etc/slurm/slurm.conf; then
  install -m 0644 "$conf_new" /etc/slurm/slurm.conf
  conf_changed=1
fi
rm -f "$conf_new"

# 5. daemons: both daemonize themselves and write their pid files.
#    slurmctld -c: start from a clean state (no jobs/node states from an earlier run).
step "slurmctld + slurmd"
if alive /run/slurmctld.pid slurmctld && scontrol ping 2>/dev/null | grep -q 'is UP'; then
  if [ "$conf_changed" = 1 ]; then
    step "slurm.conf changed: scontrol reconfigure"
    scontrol reconfigure
  fi
else
  /usr/sbin/slurmctld -c
fi
if ! alive /run/slurmd.pid slurmd; then
  /usr/sbin/slurmd
fi

# 6. wait until the node is idle (fail after IDLE_TIMEOUT seconds). A cluster that was
#    already up may be running jobs: mix/alloc/comp count as ready too.
step "waiting for node $NODE to be idle"
deadline=$(( $(date +%s) + IDLE_TIMEOUT ))
until case "$(sinfo -h -N -n "$NODE" -o %t 2>/dev/null)" in idle|mix|alloc|comp) true ;; *) false ;; esac; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "[slurm-setup] SLURM node $NODE not idle after ${IDLE_TIMEOUT}s" >&2
    dump_logs
    exit 1
  fi
  sleep 0.5
done
step "ready"
sinfo
