from __future__ import annotations

from pathlib import Path

from bootstrap.results import (
    NodeResult,
    RunReport,
    Status,
    StepResult,
    exit_code,
    recap,
)

FIELDS = {
    "node",
    "pool",
    "host",
    "status",
    "exit_code",
    "duration",
    "failed_step",
    "output_tail",
    "steps",
    "error_category",
    "error_message",
    "started_at",
    "log_path",
    "attempts",
}


def _failed() -> NodeResult:
    step = StepResult("install_driver", Status.FAILED, "dkms build failed", 3.5)
    return NodeResult(
        "a-1",
        "train",
        "10.0.0.1",
        Status.FAILED,
        3,
        4.0,
        "install_driver",
        ["dkms: error"],
        [step],
        "command",
        "a-1: exit code 3",
    )


def test_every_outcome_has_every_field() -> None:
    outcomes = [
        _failed(),
        NodeResult.unreachable_("a-2", "train", "10.0.0.2", "connect", "refused"),
        NodeResult.skipped_("a-3", "infer", "10.0.0.3", "not started: run interrupted"),
    ]
    for r in outcomes:
        assert set(r.to_dict()) == FIELDS


def test_recap_counts_per_pool_and_unreachable_is_not_failed() -> None:
    results = [
        _failed(),
        NodeResult.unreachable_("a-2", "train", "10.0.0.2", "dns", "no such host"),
        NodeResult.skipped_("b-1", "infer", "10.0.1.1", "not started"),
    ]
    assert recap(results) == {
        "infer": {"ok": 0, "changed": 0, "failed": 0, "unreachable": 0, "skipped": 1},
        "train": {"ok": 0, "changed": 0, "failed": 1, "unreachable": 1, "skipped": 0},
    }
    assert exit_code(results) == 1
    assert exit_code([]) == 0


def test_report_round_trips_through_json(tmp_path: Path) -> None:
    report = RunReport("r1", "bootstrap", 1.0, 2.0, {"check": True}, [_failed()], retry_of="r0")
    path = tmp_path / "results.json"
    report.write(path)
    back = RunReport.read(path)
    assert back.results == report.results
    assert (back.run_id, back.retry_of, back.params) == ("r1", "r0", {"check": True})
    assert back.to_dict()["exit_code"] == 1
    assert not list(tmp_path.glob("*.tmp"))


def test_recap_shows_n_plus_spares_when_the_stack_recorded_them() -> None:
    from rich.console import Console

    from bootstrap.inventory.model import PoolSize
    from bootstrap.runner.progress import print_recap

    report = RunReport("r1", "bootstrap", 0.0, 1.0, {}, [_failed()])
    console = Console(record=True, width=120)
    print_recap(report, console, {_failed().pool: PoolSize(nodes_requested=64, spares=2)})
    text = console.export_text()
    assert "launched (N + spares)" in text and "64 + 2" in text
    plain = Console(record=True, width=120)
    print_recap(report, plain)
    assert "launched" not in plain.export_text()
