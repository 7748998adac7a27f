"""What one node printed: streamed to `logs/<run-id>/<node>.log`, its status lines parsed into
step results, and the last lines kept for the verdict. The file is open only while the node
runs, so open files follow the concurrency, not the inventory size."""

from __future__ import annotations

import collections
import threading
from pathlib import Path

from bootstrap.results import StepResult
from bootstrap.runner.remote_command import parse_node_event
from bootstrap.runner.status_lines import parse_status_line


class NodeOutput:
    def __init__(self, log_path: Path, *, tail_lines: int = 20) -> None:
        self.log_path = log_path
        self.steps: list[StepResult] = []
        self.event: tuple[str, str] | None = None  # what the node's supervisor reported
        self._tail: collections.deque[str] = collections.deque(maxlen=tail_lines)
        self._file = log_path.open("w", encoding="utf-8")
        self._lock = threading.Lock()

    def on_line(self, stream: str, line: str) -> None:
        with self._lock:
            self._file.write(f"{line}\n" if stream == "out" else f"[stderr] {line}\n")
            self._tail.append(line)
            if stream == "out":
                step = parse_status_line(line)
                if step is not None:
                    self.steps.append(step)
            elif line.startswith("gpufleet-node: "):
                self.event = parse_node_event(line) or self.event

    def note(self, text: str) -> None:
        """A line from gpufleet itself (connection errors, deadline)."""
        with self._lock:
            self._file.write(f"[gpufleet] {text}\n")

    @property
    def tail(self) -> list[str]:
        with self._lock:
            return list(self._tail)

    def close(self) -> None:
        with self._lock:
            self._file.close()
