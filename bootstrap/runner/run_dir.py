"""A run's folder: `logs/<run-id>/` holds `<node>.log` per node and `results.json`."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from bootstrap.results import RunReport

RESULTS_FILE = "results.json"


def new_run_id() -> str:
    """Sortable by time, unique across concurrent runs: `20261128-142501-3fa2`."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def results_path(logs_dir: Path, run_id: str) -> Path:
    return logs_dir / run_id / RESULTS_FILE


def load_previous(logs_dir: Path, run_id: str) -> RunReport:
    """The report of an earlier run. Raises ValueError with the fix when it is missing."""
    path = results_path(logs_dir, run_id)
    if not path.is_file():
        raise ValueError(
            f"no results for run {run_id!r}: {path} does not exist (run ids are the folder "
            f"names under {logs_dir}; pass --logs if the run used another folder)"
        )
    try:
        return RunReport.read(path)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not a gpufleet results file: {exc}") from None


def nodes_to_retry(report: RunReport) -> list[str]:
    """Every node that did not end ok or changed: failed, unreachable, or never started."""
    return [r.node for r in report.results if not r.status.succeeded]
