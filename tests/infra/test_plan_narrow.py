"""At 80 columns `gpufleet plan` cuts nothing: every capacity value is printed whole."""

from __future__ import annotations

import io
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from bootstrap.cli import cli
from bootstrap.commands.plan import _print_human


def _values(plan: Any) -> list[str]:
    cap = plan.capacity
    out = [f"{cap.total_gpus:,}", f"{cap.total_usd_per_hour:,.2f}"]
    for p in cap.pools:
        out += [p.name, p.shape, f"{p.gpus:,}", f"{p.nodes - p.spares:,}", f"{p.spares:,}"]
        out += [f"{p.usd_per_hour:,.2f}", *p.gpu_model.split()]
        if p.kw is not None:
            out.append(f"{p.kw:,.1f}")
    return out


@pytest.mark.parametrize("name", ["example", "multi-pool", "100k-h100", "h200-64"])
@pytest.mark.parametrize("width", [80, 60])
def test_capacity_is_whole_at_narrow_widths(plans: dict[str, Any], name: str, width: int) -> None:
    buffer = io.StringIO()
    _print_human(plans[name], Console(file=buffer, width=width, color_system=None))
    text = buffer.getvalue()
    capacity = text[text.index("Capacity") :]
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    for value in _values(plans[name]):
        assert value in capacity, (value, capacity)


def test_plan_honours_columns_off_a_terminal() -> None:
    result = CliRunner().invoke(cli, ["plan", "--example"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "BM.GPU.H100.8" in result.stdout and "H100 80GB HBM3" in result.stdout
