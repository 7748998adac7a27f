"""Run one job per node over the fleet and write `logs/<run-id>/results.json`.

    report = run_fleet(inventory.nodes, lambda node: ScriptJob(script), connector=connector,
                       settings=RunSettings(concurrency=64), logs_dir=Path("logs"),
                       kind="bootstrap", params={...})
    report.to_dict()["recap"]   # {"train": {"ok": 250, "changed": 3, "failed": 1, ...}}

The results file is written however the run ends: finished, aborted by --max-fail-percent,
or interrupted by Ctrl-C (then the KeyboardInterrupt is swallowed and `report.interrupted`
is set; the caller decides the exit code).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bootstrap.inventory.model import Node
from bootstrap.results import NodeResult, RunReport
from bootstrap.runner.fanout import FanOut
from bootstrap.runner.jobs import Job
from bootstrap.runner.node_run import run_node
from bootstrap.runner.progress import LiveProgress
from bootstrap.runner.run_dir import new_run_id, results_path
from bootstrap.runner.settings import RunSettings
from bootstrap.ssh.connection import Connector


def run_fleet(
    nodes: Sequence[Node],
    job_for: Callable[[Node], Job],
    *,
    connector: Connector,
    settings: RunSettings,
    logs_dir: Path,
    kind: str,
    params: dict[str, Any],
    run_id: str | None = None,
    retry_of: str | None = None,
    progress: LiveProgress | None = None,
    on_result: Callable[[NodeResult], None] | None = None,
) -> RunReport:
    """Run `job_for(node)` on every node through the fan-out. `on_result` sees each node's
    result as soon as it is final (in a worker thread), e.g. to consume captured output early
    instead of holding every node's output until the end."""
    run_id = run_id or new_run_id()
    run_dir = logs_dir / run_id
    run_dir.mkdir(parents=True, exist_ok=False)
    report = RunReport(run_id, kind, time.time(), None, params, retry_of=retry_of)

    def work(node: Node, stop: threading.Event) -> NodeResult:
        return run_node(
            node,
            job_for(node),
            connector=connector,
            settings=settings,
            run_id=run_id,
            run_dir=run_dir,
            stop=stop,
        )

    fan = FanOut(
        nodes,
        work,
        concurrency=settings.concurrency,
        max_fail_percent=settings.max_fail_percent,
        on_start=progress.started if progress else lambda node: None,
        on_done=lambda result: _done(result, progress, on_result),
    )
    try:
        report.results = fan.run()
    finally:
        connector.close()
        report.interrupted = fan.interrupted
        report.aborted = fan.aborted
        report.finished_at = time.time()
        if report.results:
            report.write(results_path(logs_dir, run_id))
    return report


def _done(
    result: NodeResult,
    progress: LiveProgress | None,
    on_result: Callable[[NodeResult], None] | None,
) -> None:
    if progress is not None:
        progress.finished(result)
    if on_result is not None:
        on_result(result)
