"""The one command line a node's login shell receives for a job.

    <upload prologue, if any>
    gf_lock=${GPUFLEET_LOCK_DIR:-/tmp}/gpufleet-job.lock
    sudo -n bash -c '<SUPERVISOR>' gpufleet-job "$gf_lock" <lock wait> <seconds> <job argv...>

* **All of it under sudo.** The job is an argv run by the supervisor: a script path and its
  arguments, or `bash -c '<command line>'` for an ad-hoc command (`a; b`, a multi-line fact
  script), so `sudo` covers every word of it, not only the first command.
* **A node-side lock.** The supervisor takes `flock` on the node's job lock before starting
  anything and the job inherits it, so a retry (or a second operator) never runs a second copy
  beside one still running or still being stopped: it waits up to the lock wait, then refuses
  and starts nothing. The folder comes from the login environment (`GPUFLEET_LOCK_DIR`, a seam
  for test fleets whose "nodes" share one machine), else /tmp (writable for every user on every
  image). The file is opened read-only (flock needs no write access), after creating it only
  when missing: with `fs.protected_regular`, root may not `O_CREAT` a file another user owns
  in /tmp.
* **Which lock.** Scripts (`bootstrap`, the Slurm scripts) and `health` share the node's job
  lock, `gpufleet-job.lock`: one changes the node, the other must not judge it half-changed.
  An ad-hoc `gpufleet run` takes a lock of its own command (`command_lock`): the same command
  never runs twice at once on a node, while `run -- nvidia-smi` still answers during an
  hour-long bootstrap instead of waiting and refusing as `locked`.
* **Its own process group.** The job runs under `timeout -k 10 <seconds>`, which makes itself
  the leader of a new process group; the node-side deadline then stops the whole group.
* **Stopped as a group when the client goes away.** The client keeps the channel's stdin open
  for the whole run and never writes to it after the script upload. A watcher reads it; EOF
  means the client closed the channel (Ctrl-C, deadline) or the connection died (sshd exited),
  and the watcher sends TERM to the job's group, then KILL 5 s later. A normal end kills the
  watcher instead. The job's own stdin is /dev/null, as with `ssh host cmd </dev/null`.
* **Why it ended, told apart.** The supervisor writes one `gpufleet-node: <what>: <text>` line
  on stderr when the job did not simply exit: `locked`, `deadline` (the node-side timeout
  fired) or `signal` (the job was killed by a signal, e.g. the OOM killer's KILL). The runner
  turns it into the node's error category (`bootstrap.runner.node_output`).
"""

from __future__ import annotations

import hashlib
import re
import shlex

NODE_EVENT_PREFIX = "gpufleet-node: "
LOCK_FILE = "gpufleet-job.lock"
KILL_AFTER_S = 10  # timeout -k: KILL this long after the node-side deadline's TERM

# Runs as `bash -c SUPERVISOR gpufleet-job LOCK WAIT SECONDS ARGV...`, as root under sudo or
# as the login user. Kept free of single quotes: it is single-quoted once more for sudo.
SUPERVISOR = r"""
lock=$1 wait_s=$2 seconds=$3
shift 3
event() { printf "gpufleet-node: %s\n" "$*" >&2; }
[ -e "$lock" ] || (umask 022 && : >>"$lock") 2>/dev/null
if ! { exec 9<"$lock"; } 2>/dev/null; then
  event "locked: cannot open the node job lock $lock; nothing was started"
  exit 75
fi
if ! flock -w "$wait_s" 9; then
  event "locked: another gpufleet job holds $lock on this node" \
    "(still running or being stopped); nothing was started"
  exit 75
fi
exec 3<&0 0</dev/null
timeout -k KILL_AFTER "$seconds" "$@" 3<&- &
job=$!
(
  exec 9<&- >/dev/null 2>&1
  while IFS= read -r -u 3 _; do :; done
  kill -TERM -- "-$job" || exit 0
  sleep 5
  kill -KILL -- "-$job"
) &
watcher=$!
exec 3<&-
wait "$job"
rc=$?
kill "$watcher" 2>/dev/null
if [ "$rc" -eq 124 ]; then
  event "deadline: stopped on the node after ${seconds}s (timeout sent TERM to its process group)"
elif [ "$rc" -gt 128 ] && [ "$rc" -le 192 ]; then
  name=$(kill -l "$((rc - 128))" 2>/dev/null) || name=$((rc - 128))
  event "signal: the job was killed by SIG$name (exit code $rc)"
fi
exit "$rc"
""".replace("KILL_AFTER", str(KILL_AFTER_S))


def shell_job(command: str) -> list[str]:
    """The argv that runs a shell command line (pipes, `;`, functions, several lines)."""
    return ["bash", "-c", command]


def command_lock(command: str, *, sudo: bool) -> str:
    """The lock file name of an ad-hoc command: the same command line (and sudo) on a node
    shares it.

    >>> command_lock("nvidia-smi -L", sudo=True)[:13], command_lock("a", sudo=False)[-5:]
    ('gpufleet-run-', '.lock')
    """
    digest = hashlib.sha256(f"{int(sudo)}:{command}".encode()).hexdigest()[:16]
    return f"gpufleet-run-{digest}.lock"


def supervised(
    argv: list[str], *, sudo: str, seconds: int, lock_wait: int, lock: str = LOCK_FILE
) -> str:
    """The shell text that runs `argv` supervised, as described above.

    >>> supervised(shell_job("a; b"), sudo="sudo -n", seconds=60, lock_wait=20)[:40]
    'gf_lock="${GPUFLEET_LOCK_DIR:-/tmp}/gpuf'
    """
    words = [
        *shlex.split(sudo),
        "bash",
        "-c",
        shlex.quote(SUPERVISOR),
        "gpufleet-job",
        '"$gf_lock"',
        str(max(0, lock_wait)),
        str(max(1, seconds)),
        *(shlex.quote(a) for a in argv),
    ]
    if not re.fullmatch(r"[A-Za-z0-9._-]+\.lock", lock):
        raise ValueError(f"not a lock file name: {lock!r}")
    return f'gf_lock="${{GPUFLEET_LOCK_DIR:-/tmp}}/{lock}"\n' + " ".join(words)


def parse_node_event(line: str) -> tuple[str, str] | None:
    """(what, text) of a supervisor line on stderr, else None."""
    if not line.startswith(NODE_EVENT_PREFIX):
        return None
    what, _, text = line[len(NODE_EVENT_PREFIX) :].partition(": ")
    if what not in ("locked", "deadline", "signal") or not text:
        return None
    return what, text
