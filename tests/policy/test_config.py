"""Policy config is keyed by policy name, and written from a stack config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policy.config import PROPERTIES, main, pack_config, settings
from policy.rules import POLICIES, SOFTWARE_POLICY

ROOT = Path(__file__).resolve().parents[2]
NAMES = {p.name for p in POLICIES} | {SOFTWARE_POLICY.name}


def test_every_config_key_is_a_policy_name() -> None:
    assert set(PROPERTIES) <= NAMES


def test_written_from_the_example_stack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(ROOT / "Pulumi.example.yaml")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) <= NAMES and doc["software-compatible"]["driver"]
    assert doc["software-compatible"]["torch"] == "2.7.1"  # a venv stack: torch is checked
    for name, props in doc.items():
        assert set(props) <= set(PROPERTIES[name]), name  # only keys the policy declares
        assert pack_config(settings(props))[name] == props  # each entry round-trips alone


def test_bad_stack_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "Pulumi.nope.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main([]) == 2


def test_a_container_stack_sends_no_torch(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(ROOT / "examples" / "Pulumi.h200-64.yaml")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc["software-compatible"]) == {"driver", "cuda", "nccl"}
