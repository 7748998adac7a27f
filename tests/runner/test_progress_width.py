"""The live progress line on a narrow terminal wraps; it never drops or cuts a number."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from bootstrap.runner.progress import LiveProgress


@pytest.mark.parametrize("width", [120, 80, 50])
def test_progress_keeps_every_count_at_narrow_widths(width: int) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=True, color_system=None)
    progress = LiveProgress(12500, console, enabled=True)
    inner = progress._progress
    inner.update(progress._task, completed=1234, running=64, failed=12, unreachable=3)
    console.print(inner.make_tasks_table(inner.tasks))
    text = buffer.getvalue()
    assert "…" not in text
    assert max(len(line.rstrip()) for line in text.splitlines()) <= width
    words = text.split()
    for shown in ("1234/12500", "64", "running", "12", "failed", "3", "unreachable", "nodes/s",
                  "ETA", "elapsed"):  # fmt: skip
        assert shown in words, (shown, text)
