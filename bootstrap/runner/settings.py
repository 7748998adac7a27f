"""How a fleet run behaves: bounds, deadline, privilege, upload method."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DEFAULT_CONCURRENCY = 64


@dataclass(frozen=True)
class RunSettings:
    """`sudo`: prefix of the script's command ("" runs as the login user). `upload`: how the
    script reaches the node (see `bootstrap.runner.jobs`). `deadline`: seconds per node,
    from its first connection attempt to its exit status."""

    concurrency: int = DEFAULT_CONCURRENCY
    deadline: float = 3600.0
    max_fail_percent: float | None = None
    sudo: str = "sudo -n"
    upload: Literal["stdin", "sftp"] = "stdin"
    remote_dir: str = ".gpufleet"
    tail_lines: int = 20
    max_log_bytes: int = 32 * 1024 * 1024  # per node log; then a marker and the last lines
    # Seconds a job waits for the node's job lock (another gpufleet job running or being
    # stopped there) before it refuses; covers the 10 s + 5 s a stopped job may take to die.
    lock_wait: float = 20.0

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {self.concurrency}")
        if self.deadline <= 0:
            raise ValueError(f"deadline must be positive, got {self.deadline}")
        if self.max_fail_percent is not None and not 0 <= self.max_fail_percent <= 100:
            raise ValueError(f"max-fail-percent must be 0-100, got {self.max_fail_percent}")
