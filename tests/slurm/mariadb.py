"""A throw-away MariaDB for the tests: its own datadir, socket and pid file under a folder the
test owns, started by PID. The suite's Slurm sandbox runs it in its network namespace; a test
that needs only the database runs it without networking (socket only: no port to collide on)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def install_datadir(datadir: Path) -> None:
    """A fresh datadir whose root logs in over the socket without a password."""
    datadir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mysql_install_db", "--no-defaults", f"--datadir={datadir}", "--user=root",
         "--auth-root-authentication-method=normal", "--skip-test-db"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def mariadbd_command(datadir: Path, run: Path, log: Path, *extra: str) -> list[str]:
    """mariadbd in the foreground on `run`/mysqld.sock, as root, logging to `log`."""
    return ["mariadbd", "--no-defaults", f"--datadir={datadir}", "--user=root",
            f"--socket={run / 'mysqld.sock'}", f"--pid-file={run / 'mysqld.pid'}",
            f"--log-error={log}", "--skip-name-resolve", *extra]  # fmt: skip


def wait_for_socket(socket: Path, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not socket.exists():
        if proc.poll() is not None:
            raise RuntimeError(f"mariadbd exited {proc.returncode} before {socket} appeared")
        if time.monotonic() > deadline:
            raise TimeoutError(f"mariadbd: no {socket} within {timeout:.0f} s")
        time.sleep(0.2)
