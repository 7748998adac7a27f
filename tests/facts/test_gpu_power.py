"""GpuPowerLimits from hand-written `nvidia-smi --query-gpu=...power...` samples."""

from __future__ import annotations

import pytest

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.gpu_power import COMMAND, parse


def test_capped_node(case_text):
    limits = parse(case_text("gpu_power_capped_500_handwritten.txt"))
    assert [g.index for g in limits.gpus] == list(range(8))
    assert {g.enforced_w for g in limits.gpus if g.index != 5} == {500.0}
    assert (limits.gpus[5].limit_w, limits.gpus[5].enforced_w) == (700.0, 700.0)


def test_unreported_limits_are_none(case_text):
    limits = parse(case_text("gpu_power_not_supported.txt"))
    assert [(g.limit_w, g.enforced_w) for g in limits.gpus] == [(None, None), (None, None)]


def test_command_asks_for_the_enforced_limit():
    assert "enforced.power.limit" in COMMAND and "nounits" in COMMAND


@pytest.mark.parametrize(
    ("name", "reason"), [("gpu_power_truncated.txt", "line 4"), ("empty.txt", "empty")]
)
def test_bad_cases(case_text, name, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(case_text(name))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0, 500.00 W, 500.00 W\n", "not a number"),  # units: the command asks for nounits
        ("0, 500.00, 500.00\n0, 500.00, 500.00\n", "repeat"),
        ("Failed to initialize NVML: Driver/library version mismatch\n", "not 'index"),
        ("0, 500.00, 500.00\n1, \ufffd\n", "garbage"),
    ],
)
def test_bad_text(text, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(text)
