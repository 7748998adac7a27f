"""Run a command as a child process and measure wall time, CPU seconds and peak RSS."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    label: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float


def run(label: str, argv: list[str], cwd: str | None = None, repeat: int = 3) -> Sample:
    """Median of `repeat` runs (wall), with the CPU and peak RSS of that median run."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{label}: {' '.join(argv)} failed:\n{stderr[-2000:]}")
        samples.append(Sample(label, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024))
    samples.sort(key=lambda s: s.wall_s)
    return samples[len(samples) // 2]
