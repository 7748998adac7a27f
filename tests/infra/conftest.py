from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "Pulumi.example.yaml"
STACKS = [EXAMPLE, *sorted((ROOT / "examples").glob("Pulumi.*.yaml"))]


def stack_id(path: Path) -> str:
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml")


@pytest.fixture(scope="session")
def plans() -> dict[str, Any]:
    """Every example stack planned once under the mock runtime (name -> Plan)."""
    from infra.offline.plan import run_plan

    return {stack_id(p): run_plan(p) for p in STACKS}


@pytest.fixture
def write_stack(tmp_path: Path) -> Callable[..., Path]:
    """Write a copy of the example stack with `changes` applied ({key: value or DELETE})."""

    def write(changes: dict[str, Any] | None = None, base: Path = EXAMPLE) -> Path:
        doc = yaml.safe_load(base.read_text())
        for key, value in (changes or {}).items():
            if value is DELETE:
                doc["config"].pop(key, None)
            else:
                doc["config"][key] = value
        path = tmp_path / "Pulumi.test.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path

    return write


DELETE = object()
