"""The minimum Pulumi CLI and SDK: stated in the README, enforced by the pin, met here."""

from __future__ import annotations

import inspect
import re
import tomllib
from importlib.metadata import version

import pulumi
import yaml

from infra.engine_rules.project import load_project
from infra.engine_rules.versions import MIN_CLI, MIN_SDK, dotted
from tests.infra.conftest import ROOT

README = (ROOT / "README.md").read_text()


def _floor(requirement: str) -> tuple[int, ...]:
    found = re.search(r">=\s*([\d.]+)", requirement)
    assert found, requirement
    return tuple(int(p) for p in found.group(1).split("."))


def test_readme_states_both_minimums() -> None:
    assert f"Pulumi CLI {dotted(MIN_CLI)}" in README
    assert f"Pulumi Python SDK {dotted(MIN_SDK)}" in README


def test_pyproject_pins_the_sdk_floor() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (pin,) = [d for d in deps if re.match(r"pulumi\s*[><=]", d)]
    assert _floor(pin)[:2] >= MIN_SDK
    installed = tuple(int(p) for p in version("pulumi").split(".")[:2])
    assert installed >= MIN_SDK


def test_the_sdk_has_the_options_the_program_uses() -> None:
    params = inspect.signature(pulumi.ResourceOptions).parameters
    assert {"replacement_trigger", "ignore_changes", "delete_before_replace"} <= set(params)


def test_no_typechecker_runs_before_preview() -> None:
    """A typechecker in Pulumi.yaml runs `python -m <it>` before every preview
    (pulumi-language-python main.go); mypy is only in the test extra, so a plain
    `pip install -e .` would stop every preview. CI runs mypy instead."""
    project = load_project(ROOT / "Pulumi.yaml")
    checker = project.runtime_options.get("typechecker")
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert checker is None or any(d.startswith(checker) for d in deps)
    assert yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["runtime"]["options"] == {
        "toolchain": "pip",
        "virtualenv": ".venv",
    }
