from __future__ import annotations

import pytest

from bootstrap.results import Status, StepResult
from bootstrap.runner.status_lines import parse_status_line


def test_a_status_line_becomes_a_step() -> None:
    line = (
        '{"step": "install_driver", "status": "changed", "message": "570.172.08", "seconds": 41.2}'
    )
    assert parse_status_line(line) == StepResult(
        "install_driver", Status.CHANGED, "570.172.08", 41.2
    )


@pytest.mark.parametrize(
    "line",
    [
        "installing driver...",
        "",
        "{",
        '{"step": "x", "status": "unreachable", "message": "", "seconds": 0}',  # not a step status
        '{"step": "x", "status": "passed"}',
        '{"status": "ok"}',
        '{"step": "", "status": "ok"}',
        '["step", "ok"]',
        '{"step": "x", "status": "ok"',  # truncated
    ],
)
def test_anything_else_is_just_log(line: str) -> None:
    assert parse_status_line(line) is None


def test_optional_fields_default_and_bad_types_never_crash() -> None:
    step = parse_status_line('{"step": "x", "status": "ok", "seconds": "soon", "message": 3}')
    assert step == StepResult("x", Status.OK, "3", 0.0)
