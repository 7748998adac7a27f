"""docs/health.md has a row for every check, naming the tool of every fact the check needs
(no silent drift between the doc and the check table)."""

from __future__ import annotations

import re
from pathlib import Path

from bootstrap.facts.registry import FACTS
from bootstrap.health.checks import CHECKS
from bootstrap.health.nccl.threshold import PAIR, POOL, SINGLE

DOC = (Path(__file__).resolve().parents[2] / "docs" / "health.md").read_text(encoding="utf-8")


def row(check: str) -> str:
    rows = [line for line in DOC.splitlines() if line.startswith("| ") and f"`{check}`" in line]
    assert len(rows) == 1, f"{check}: {len(rows)} rows in docs/health.md"
    return rows[0]


def test_every_check_has_one_row_naming_its_tools() -> None:
    for check in CHECKS:
        text = row(check.name)
        for kind in check.needs:
            tool = re.search(r"timeout \d+ (\S+)", FACTS[kind].command)
            assert tool is not None, kind
            assert tool[1] in text, (check.name, tool[1])


def test_the_nccl_checks_have_rows() -> None:
    assert "all_reduce_perf -b 1G -e 16G" in row(SINGLE)
    assert "mpirun" in row(POOL) and row(POOL) == row(PAIR)
