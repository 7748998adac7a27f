"""The `gpufleet:slurm` section: off by default, typed, every problem named with its fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import ConfigError, load_stack_file
from tests.infra.conftest import EXAMPLE, ROOT, write_stack

__all__ = ["write_stack"]  # the fixture, shared with tests/infra


def problems(path: Path) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        load_stack_file(path)
    return [(p.key, p.message) for p in info.value.problems]


def test_off_by_default_for_existing_stacks() -> None:
    config = load_stack_file(EXAMPLE)
    assert config.slurm.enabled is False
    assert config.slurm.version == "24.05.8"


def test_pulumi_yaml_declares_slurm_with_a_default() -> None:
    # The Pulumi CLI treats a declared key without a default as required
    # (pulumi/pulumi sdk/go/common/workspace/project.go, config type checks): every stack
    # predating Slurm would stop planning without one.
    doc = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    entry = doc["config"]["gpufleet:slurm"]
    assert entry["type"] == "object"
    assert entry["default"] == {"enabled": False}


@pytest.mark.parametrize(
    ("slurm", "expected"),
    [
        (
            {"enabled": True, "version": "latest"},
            [("gpufleet:slurm.version", "not a pinned Slurm version of a supported release")],
        ),
        (
            {"enabled": True, "version": "25.05.1"},
            [("gpufleet:slurm.version", "not a pinned Slurm version of a supported release")],
        ),
        (
            {"enabled": True, "partitions": [{"name": "big", "pools": ["nope"]}]},
            [("gpufleet:slurm.partitions[0].pools[0]", "no pool by this name")],
        ),
        (
            {
                "partitions": [
                    {"name": "a", "pools": ["h100"], "default": True},
                    {"name": "a", "pools": ["h100"], "default": True},
                ]
            },
            [
                ("gpufleet:slurm.partitions[1].default", "a second default partition"),
                ("gpufleet:slurm.partitions[1].name", "duplicate partition name"),
            ],
        ),
        (
            {"srun_port_first": 6000, "srun_port_last": 5000},
            [
                ("gpufleet:slurm.srun_port_last", "below srun_port_first"),
            ],
        ),
        (
            {"srun_port_first": 6000, "srun_port_last": 7000},
            [("gpufleet:slurm.srun_port_first", "the srun port range covers")],
        ),
        (
            {"accounting": {"database": "postgres"}},
            [("gpufleet:slurm.accounting.database", "Input should be 'mariadb' or 'oci_mysql'")],
        ),
        ({"enabeld": True}, [("gpufleet:slurm.enabeld", "unknown key")]),
    ],
    ids=[
        "latest",
        "unsupported-release",
        "unknown-pool",
        "two-defaults",
        "empty-range",
        "daemon-ports",
        "database",
        "typo",
    ],
)
def test_bad_slurm_sections_name_key_and_problem(
    write_stack: Callable[..., Path], slurm: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    found = problems(write_stack({"gpufleet:slurm": slurm}))
    assert len(found) == len(expected), found
    for (key, message), (want_key, want_start) in zip(found, sorted(expected), strict=True):
        assert key == want_key
        assert message.startswith(want_start), message
