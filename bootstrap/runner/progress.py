"""What a person watches: a live bar (done / running / failed / unreachable, rate, ETA) on
stderr, then a recap table per pool and the nodes that need attention."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn
from rich.table import Column, Table
from rich.text import Text

from bootstrap.inventory.model import Node
from bootstrap.results import NodeResult, RunReport, Status, recap

PROBLEMS_SHOWN = 25


class _StatusColumn(ProgressColumn):
    """Counts, rate, ETA and elapsed time as one text that wraps at spaces on a narrow
    terminal instead of being cut (rich gives each progress column one line, no_wrap)."""

    max_refresh = 0.5  # one text per refresh: rich measures, then renders, the same text

    def __init__(self) -> None:
        super().__init__(table_column=Column(no_wrap=False, overflow="fold"))

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        remaining = task.time_remaining
        eta = "-:--:--" if remaining is None else _clock(remaining)
        text = Text(f"{task.completed}/{task.total} done ")
        text.append(f"{task.fields['running']} running ", style="cyan")
        text.append(f"{task.fields['failed']} failed ", style="red")
        text.append(f"{task.fields['unreachable']} unreachable ", style="yellow")
        text.append(f"{rate:.1f} nodes/s ", style="progress.data.speed")
        text.append(f"ETA {eta} ", style="progress.remaining")
        text.append(f"elapsed {_clock(elapsed)}", style="progress.elapsed")
        return text


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class LiveProgress:
    """Thread-safe counters behind a rich progress bar; a no-op display when disabled."""

    def __init__(self, total: int, console: Console, *, enabled: bool) -> None:
        self._lock = threading.Lock()
        self.running = self.failed = self.unreachable = 0
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=20),
            _StatusColumn(),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self._task = self._progress.add_task(
            "nodes", total=total, running=0, failed=0, unreachable=0
        )

    def __enter__(self) -> LiveProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def started(self, node: Node) -> None:
        with self._lock:
            self.running += 1
            self._update(advance=0)

    def finished(self, result: NodeResult) -> None:
        with self._lock:
            self.running -= 1
            self.failed += result.status is Status.FAILED
            self.unreachable += result.status is Status.UNREACHABLE
            self._update(advance=1)

    def _update(self, advance: int) -> None:
        self._progress.update(
            self._task,
            advance=advance,
            running=self.running,
            failed=self.failed,
            unreachable=self.unreachable,
        )


def print_recap(
    report: RunReport,
    console: Console,
    sizes: Mapping[str, Any] | None = None,
    *,
    retry_command: str | None = None,
) -> None:
    """The recap table; `sizes` (pool -> PoolSize) adds what the stack launched, "N + k";
    `retry_command` (a command line that exists) is suggested when some nodes need a rerun."""
    table = Table(title=f"Recap of run {report.run_id}")
    table.add_column("pool", overflow="fold")  # a long pool name wraps, never "frontier-h1…"
    if sizes:
        table.add_column("launched (N + spares)", justify="right")
    for status, style in (
        ("ok", "green"),
        ("changed", "yellow"),
        ("failed", "red"),
        ("unreachable", "magenta"),
        ("skipped", "dim"),
    ):
        table.add_column(status, justify="right", style=style)
    for pool, counts in recap(report.results).items():
        launched: list[str] = []
        if sizes:
            size = sizes.get(pool)
            launched = [f"{size.nodes_requested} + {size.spares}" if size else ""]
        table.add_row(pool, *launched, *(str(counts[str(s)]) for s in Status))
    console.print(table)
    # Not succeeded, or changed but waiting for a reboot (error_category "reboot").
    problems = [r for r in report.results if not r.status.succeeded or r.error_category == "reboot"]
    if problems:
        detail = Table(title="Nodes that need attention", show_lines=False)
        widest = max(len(r.node) for r in problems[:PROBLEMS_SHOWN])
        for column in ("node", "status", "category", "step", "message"):
            # Node names stay whole (people copy them); the message wraps at spaces.
            node = column == "node"
            detail.add_column(
                column, overflow="fold", no_wrap=node, min_width=widest if node else None
            )
        for r in problems[:PROBLEMS_SHOWN]:
            detail.add_row(
                r.node,
                str(r.status),
                r.error_category or "",
                r.failed_step or "",
                r.error_message or "",
            )
        console.print(detail)
        if len(problems) > PROBLEMS_SHOWN:
            console.print(f"... and {len(problems) - PROBLEMS_SHOWN} more in results.json")
    if report.aborted:
        console.print(f"[red]Stopped starting nodes: {report.aborted}")
    if report.interrupted:
        console.print("[red]Interrupted (Ctrl-C): results so far were written.")
    if problems and retry_command:
        console.print(f"Re-run only these nodes: {retry_command}", soft_wrap=True)
