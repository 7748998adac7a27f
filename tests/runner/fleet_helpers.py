"""Helpers for tests that drive `gpufleet` against the sshd fleet."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bootstrap.cli import cli
from tests import sshfleet

# A script in the contract's style: status lines on stdout, logs on stderr, markers per node.
# FAIL_ON / HANG_ON are space-separated node names; SLEEP is seconds per node.
SCRIPT = r"""#!/bin/bash
set -Eeuo pipefail
here="$GPUFLEET_NODE_DIR/{token}"
mkdir -p "$here"
date +%s.%N > "$here/start"
echo "mode=$(stat -c %a "$0") args=$* uid=$(id -u)" >&2
echo '{{"step": "check_disk", "status": "ok", "message": "enough space", "seconds": 0.01}}'
sleep {sleep}
case " {hang_on} " in *" $GPUFLEET_NODE "*) sleep 600 ;; esac
touch "$here/after-hang"
case " {fail_on} " in
  *" $GPUFLEET_NODE "*)
    echo '{{"step": "install_driver", "status": "failed", '\
'"message": "dkms build failed", "seconds": 0.2}}'
    echo "dkms: error: build failed" >&2
    exit 3 ;;
esac
echo '{{"step": "install_driver", "status": "changed", '\
'"message": "installed 570.172.08", "seconds": 0.2}}'
echo $(( $(cat "$here/runs" 2>/dev/null || echo 0) + 1 )) > "$here/runs"
date +%s.%N > "$here/end"
"""


def write_script(
    folder: Path,
    token: str,
    *,
    fail_on: str = "",
    hang_on: str = "",
    sleep: float = 0.0,
    padding: int = 0,
) -> Path:
    path = folder / "bootstrap.sh"
    body = SCRIPT.format(token=token, fail_on=fail_on, hang_on=hang_on, sleep=sleep)
    path.write_text(body + ("# " + "x" * 78 + "\n") * padding)
    return path


def gpufleet(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def gpufleet_process(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bootstrap", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def only_run(logs: Path) -> Path:
    (run,) = [p for p in logs.iterdir() if p.is_dir()]
    return run


def results_of(run_dir: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((run_dir / "results.json").read_text())
    return doc


def by_node(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["node"]: r for r in doc["results"]}


def fleet_for(
    factory: pytest.TempPathFactory, name: str, nodes: int, **options: Any
) -> Iterator[sshfleet.Fleet]:
    """Body of a fleet fixture: skip without sshd, start `nodes` nodes (`options` go to
    `start_fleet`), stop them after."""
    if not sshfleet.sshd_available():
        pytest.skip("OpenSSH server not installed (apt-get install openssh-server)")
    running = sshfleet.start_fleet(factory.mktemp(name), nodes, **options)
    try:
        yield running
    finally:
        running.stop()


@contextlib.contextmanager
def session_rc(daemons: Iterable[sshfleet.Daemon], text: str) -> Iterator[None]:
    """Each node's ~/.bashrc (read by its SSH sessions) holds `text` within the block, and is
    put back as it was after: the session fleet is shared between tests."""
    rcs = [d.home / ".bashrc" for d in daemons]
    saved = {rc: rc.read_text() if rc.exists() else None for rc in rcs}
    for rc in rcs:
        rc.write_text(text)
    try:
        yield
    finally:
        for rc, before in saved.items():
            if before is None:
                rc.unlink(missing_ok=True)
            else:
                rc.write_text(before)
