"""What runs on a node: a script pushed and executed (`ScriptJob`), or an ad-hoc command
(`CommandJob`). Both return the remote exit status and stream output to a `NodeOutput`.

How the script travels — measured with `benchmarks/fanout.py` (2-core box, 200 real sshd
nodes behind a bastion, 60 KB script, concurrency 64, median of 3): stdin 8.6 s wall and
17.1 ms client CPU per node; SFTP 9.8 s and 23.4 ms. So stdin is the default:

* `stdin` (default): one exec channel that writes the first bytes of stdin to a temp file,
  checks its size (a cut connection never leaves a truncated script to run), chmod 0700,
  renames it into place, runs it. One channel, no sftp-server process on the node.
* `sftp`: the SFTP subsystem writes a temp file, chmod 0700, posix-rename; then an exec
  channel runs it. Same atomicity, one more channel and one more process per node, and more
  client CPU.

Either way the script (like an ad-hoc command) runs supervised
(`bootstrap.runner.remote_command`): wholly under sudo, under the node's job lock, in its own
process group stopped at the node-side deadline or when the client goes away; the file is
removed afterwards.
"""

from __future__ import annotations

import math
import shlex
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from bootstrap.inventory.model import Node
from bootstrap.runner.node_output import NodeOutput
from bootstrap.runner.remote_command import LOCK_FILE, shell_job, supervised
from bootstrap.runner.settings import RunSettings
from bootstrap.ssh.connection import NodeConnection

UPLOAD_FAILED_EXIT = 97


class Job(Protocol):
    def execute(
        self,
        conn: NodeConnection,
        *,
        node: Node,
        run_id: str,
        settings: RunSettings,
        output: NodeOutput,
        deadline: float,
        stop: threading.Event,
    ) -> int: ...


@dataclass(frozen=True)
class ScriptJob:
    script: bytes
    args: tuple[str, ...] = ()

    def execute(
        self,
        conn: NodeConnection,
        *,
        node: Node,
        run_id: str,
        settings: RunSettings,
        output: NodeOutput,
        deadline: float,
        stop: threading.Event,
    ) -> int:
        # Per node and per run: loopback test fleets share one disk, and two runs never clash.
        # Relative to the session's start folder (the login home), which is where SFTP's
        # relative paths land too.
        path = f"{settings.remote_dir}/{run_id}-{node.name}.sh"
        final = shlex.quote(path)
        stdin: bytes | None = None
        if settings.upload == "sftp":
            conn.upload_sftp(self.script, path, deadline=deadline)
            prologue = ""
        else:
            stdin = self.script
            # head -c reads exactly the script's bytes: stdin stays open afterwards (the
            # supervisor watches it to notice the client going away).
            prologue = (
                f"umask 077 && mkdir -p {shlex.quote(settings.remote_dir)} && "
                f"t={final}.tmp-$$ && "
                f'{{ head -c {len(self.script)} > "$t" && '
                f'[ "$(wc -c < "$t")" -eq {len(self.script)} ] && '
                f'chmod 700 "$t" && mv -f -- "$t" {final}; }} || '
                f'{{ rm -f -- "$t"; echo "gpufleet: the script upload was incomplete" >&2; '
                f"exit {UPLOAD_FAILED_EXIT}; }}\n"
            )
        run = supervised(
            [path, *self.args],
            sudo=settings.sudo,
            seconds=_seconds_left(deadline),
            lock_wait=_lock_wait(settings, deadline),
        )
        command = f"{prologue}{run}\nrc=$?; rm -f -- {final}; exit $rc"
        return conn.exec(
            command,
            stdin=stdin,
            on_line=output.on_line,
            deadline=deadline,
            stop=stop,
            send_eof=False,
        )


@dataclass(frozen=True)
class CommandJob:
    """An ad-hoc command line, run by bash as ssh would hand it to the login shell; with
    `sudo` all of it runs under sudo (`a; b` runs both as root).
    With `capture` (a list), every stdout line is also appended to it: the runner's result
    keeps only a tail, callers that parse the whole output (health facts) pass a list."""

    command: str
    sudo: bool = False
    capture: list[str] | None = field(default=None, compare=False)
    lock: str = LOCK_FILE  # the node lock it takes (bootstrap.runner.remote_command)

    def execute(
        self,
        conn: NodeConnection,
        *,
        node: Node,
        run_id: str,
        settings: RunSettings,
        output: NodeOutput,
        deadline: float,
        stop: threading.Event,
    ) -> int:
        command = supervised(
            shell_job(self.command),
            sudo=settings.sudo if self.sudo else "",
            seconds=_seconds_left(deadline),
            lock_wait=_lock_wait(settings, deadline),
            lock=self.lock,
        )
        capture = self.capture
        on_line = output.on_line
        if capture is not None:

            def on_line(stream: str, line: str) -> None:
                output.on_line(stream, line)
                if stream == "out":
                    capture.append(line)

        return conn.exec(command, on_line=on_line, deadline=deadline, stop=stop, send_eof=False)


def _seconds_left(deadline: float) -> int:
    return max(1, math.ceil(deadline - time.monotonic()))


def _lock_wait(settings: RunSettings, deadline: float) -> int:
    return max(0, min(math.ceil(settings.lock_wait), math.floor(deadline - time.monotonic())))
