"""What one node printed: streamed to `logs/<run-id>/<node>.log`, its status lines parsed into
step results, and the last lines kept for the verdict. The file is open only while the node
runs, so open files follow the concurrency, not the inventory size.

Bounded whatever the node prints: each line arrives already cut to `MAX_LINE_BYTES`
(`bootstrap.ssh.line_split`); the log keeps its first `max_log_bytes`, then one marker line
saying how much was left out, then the node's last lines, so both the start and the end of a
runaway output stay readable; the tail kept for `results.json` cuts each line to
`TAIL_LINE_CHARS`. Status lines are parsed whether or not they still fit in the log.
"""

from __future__ import annotations

import collections
import re
import threading
from pathlib import Path

from bootstrap.results import StepResult
from bootstrap.runner.remote_command import parse_node_event
from bootstrap.runner.status_lines import parse_status_line
from bootstrap.ssh.line_split import cut_marker

MAX_LOG_BYTES = 32 * 1024 * 1024
TAIL_LINE_CHARS = 2000
_CUT = re.compile(r" \[gpufleet: line cut, (\d+) more bytes\]$")


class NodeOutput:
    def __init__(
        self, log_path: Path, *, tail_lines: int = 20, max_log_bytes: int = MAX_LOG_BYTES
    ) -> None:
        self.log_path = log_path
        self.steps: list[StepResult] = []
        self.event: tuple[str, str] | None = None  # what the node's supervisor reported
        self._tail: collections.deque[str] = collections.deque(maxlen=tail_lines)
        self._file = log_path.open("w", encoding="utf-8")
        self._lock = threading.Lock()
        self._room = max_log_bytes
        self._lines_left_out = 0
        self._bytes_left_out = 0

    def on_line(self, stream: str, line: str) -> None:
        text = f"{line}\n" if stream == "out" else f"[stderr] {line}\n"
        with self._lock:
            if len(text) <= self._room:
                self._file.write(text)
                self._room -= len(text)
            else:
                self._room = 0
                self._lines_left_out += 1
                self._bytes_left_out += len(text)
            self._tail.append(_short(line))
            if stream == "out":
                step = parse_status_line(line)
                if step is not None:
                    self.steps.append(step)
            elif line.startswith("gpufleet-node: "):
                self.event = parse_node_event(line) or self.event

    def note(self, text: str) -> None:
        """A line from gpufleet itself (connection errors, deadline); always written."""
        with self._lock:
            self._file.write(f"[gpufleet] {text}\n")

    @property
    def tail(self) -> list[str]:
        with self._lock:
            return list(self._tail)

    def close(self) -> None:
        with self._lock:
            if self._lines_left_out:
                self._file.write(
                    f"[gpufleet] log truncated: {self._lines_left_out} lines "
                    f"({self._bytes_left_out} bytes) left out; the last {len(self._tail)} "
                    "lines follow\n"
                )
                self._file.writelines(f"{line}\n" for line in self._tail)
            self._file.close()


def _short(line: str) -> str:
    if len(line) <= TAIL_LINE_CHARS:
        return line
    dropped = 0
    if (cut := _CUT.search(line)) is not None:  # already cut on arrival: count both cuts
        dropped, line = int(cut[1]), line[: cut.start()]
    return line[:TAIL_LINE_CHARS] + cut_marker(dropped + len(line[TAIL_LINE_CHARS:].encode()))
