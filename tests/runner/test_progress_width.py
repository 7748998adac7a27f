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


def test_recap_at_80_columns_cuts_no_pool_or_node_name() -> None:
    from bootstrap.inventory.model import PoolSize
    from bootstrap.results import NodeResult, RunReport, Status
    from bootstrap.runner.progress import print_recap

    message = "step install_driver failed with exit code 100: E: Unable to locate package x"
    results = [
        NodeResult(
            node=f"frontier-h100-{i:04d}",
            pool="frontier-h100-training",
            host="10.0.0.1",
            status=Status.FAILED,
            exit_code=100,
            duration=1.0,
            failed_step="install_driver",
            output_tail=[],
            steps=[],
            error_category="remote-exit",
            error_message=message,
        )
        for i in range(3)
    ]
    report = RunReport("20261206-174500-abcd", "bootstrap", 0.0, 1.0, {}, results)
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, color_system=None)
    print_recap(report, console, {"frontier-h100-training": PoolSize(12500, 250)})
    text = buffer.getvalue()
    assert "…" not in text
    for result in results:
        assert result.node in text  # whole, on one line
    assert "frontier-h100" in text and "-training" in text
