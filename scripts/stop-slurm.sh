#!/usr/bin/env bash
# Stop the daemons started by scripts/setup-slurm.sh, by the pids in their pid files, and only
# if that pid really is the daemon (pid files in /run survive a killed daemon and pids get
# reused). TERM first, KILL after 10 s. Never fails: it is meant for `trap ... EXIT`.
set -u
running() {  # running PID NAME: PID is NAME and not a zombie
  [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] \
    && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}
stop() {  # stop PIDFILE NAME
  local pid
  [ -s "$1" ] || { echo "[slurm-stop] $2: no pid file, not running"; return 0; }
  pid="$(cat "$1")"
  if running "$pid" "$2"; then
    echo "[slurm-stop] stopping $2 (pid $pid)"
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do running "$pid" "$2" || break; sleep 0.1; done   # up to 10 s
    if running "$pid" "$2"; then
      echo "[slurm-stop] $2 (pid $pid) ignored TERM for 10 s: KILL"
      kill -KILL "$pid" 2>/dev/null
    fi
  else
    echo "[slurm-stop] $2: pid file $1 is stale (pid $pid is not $2)"
  fi
  rm -f "$1"
}
stop /run/slurmd.pid slurmd
stop /run/slurmctld.pid slurmctld
stop /run/munge/munged.pid munged
exit 0
