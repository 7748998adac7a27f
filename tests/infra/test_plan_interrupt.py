"""One Ctrl-C stops `gpufleet plan` at once: no hang in Pulumi's mock runtime, no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.infra.conftest import ROOT

MULTI_POOL = ROOT / "examples" / "Pulumi.multi-pool.yaml"


@pytest.mark.parametrize("delay", [0.0, 1.0], ids=["while-importing", "while-planning"])
def test_one_sigint_stops_plan_promptly(tmp_path: Path, delay: float) -> None:
    # 2,000 compute-cluster instances: tens of seconds of mock runtime, so the signal always
    # lands while the program runs, however fast the machine.
    big = tmp_path / "Pulumi.big.yaml"
    big.write_text(MULTI_POOL.read_text().replace("nodes: 256", "nodes: 2000"))
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PULUMI_STACK"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bootstrap", "plan", "--stack-config", str(big)],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()  # printed once the handler is in place
        assert first.startswith("gpufleet: stack config"), first
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)  # before the fix: no exit at all
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "plan interrupted; nothing was created or written" in err
    assert "Traceback" not in err
    assert out == ""  # no half manifest
    assert list(work.iterdir()) == []
