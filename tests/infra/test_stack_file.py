"""Which stack file `validate`/`plan`/`render` read: Pulumi's choice, said out loud, and a broken
stack file is reported, never replaced by the example."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bootstrap.cli import cli
from infra.config.stack_file import EXAMPLE_STACK
from tests.infra.conftest import ROOT

PROJECT = (ROOT / "Pulumi.yaml").read_text()


def project(folder: Path, *stacks: str, broken: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text(PROJECT)
    for name in stacks:
        shutil.copy(EXAMPLE_STACK, folder / f"Pulumi.{name}.yaml")
    if broken:
        (folder / f"Pulumi.{broken}.yaml").write_text("config:\n  gpufleet:pools: [\n")
    return folder


def validate(
    cwd: Path, monkeypatch: pytest.MonkeyPatch, *args: str, stack: str | None = None
) -> Result:
    monkeypatch.chdir(cwd)
    if stack is None:
        monkeypatch.delenv("PULUMI_STACK", raising=False)
    else:
        monkeypatch.setenv("PULUMI_STACK", stack)
    return CliRunner().invoke(cli, ["validate", *args])


def test_a_broken_stack_file_is_reported_not_replaced_by_the_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = project(tmp_path / "cluster", broken="prod")
    result = validate(folder, monkeypatch)
    assert result.exit_code == 2, result.output
    assert f"{folder / 'Pulumi.prod.yaml'}: 1 problem found" in result.stderr
    assert "not valid YAML" in result.stderr
    assert "Traceback" not in result.output


def test_the_only_stack_file_of_the_project_is_used_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = project(tmp_path / "cluster", "prod")
    (folder / "infra").mkdir()
    result = validate(folder / "infra", monkeypatch)  # Pulumi walks up to the project
    assert result.exit_code == 0, result.output
    used = folder / "Pulumi.prod.yaml"
    assert result.stderr == (
        f"gpufleet: stack config {used} (the only stack file of the project "
        f"{folder / 'Pulumi.yaml'})\n"
    )
    assert result.stdout.startswith(f"{used}: ok")


def test_several_stacks_and_none_selected_is_refused_with_the_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = project(tmp_path / "cluster", "dev", "prod")
    result = validate(folder, monkeypatch)
    assert result.exit_code == 2
    assert "has 2 stack files (Pulumi.dev.yaml, Pulumi.prod.yaml) and none is selected" in (
        result.stderr
    )
    assert "export PULUMI_STACK=<stack> (one of: dev, prod)" in result.stderr


def test_pulumi_stack_selects_and_a_missing_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = project(tmp_path / "cluster", "dev", "prod")
    result = validate(folder, monkeypatch, stack="acme/cluster/prod")
    assert result.exit_code == 0, result.output
    assert f"stack config {folder / 'Pulumi.prod.yaml'} (PULUMI_STACK=acme/cluster/prod)" in (
        result.stderr
    )
    result = validate(folder, monkeypatch, stack="staging")
    assert result.exit_code == 2
    assert f"selects stack 'staging' but {folder / 'Pulumi.staging.yaml'} does not exist" in (
        result.stderr
    )


def test_the_example_only_when_asked_or_outside_a_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = project(tmp_path / "cluster", broken="prod")
    result = validate(folder, monkeypatch, "--example")
    assert result.exit_code == 0, result.output
    assert f"stack config {EXAMPLE_STACK} (--example" in result.stderr
    empty = project(tmp_path / "empty")
    result = validate(empty, monkeypatch)
    assert result.exit_code == 2 and "has no Pulumi.<stack>.yaml yet" in result.stderr
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = validate(outside, monkeypatch)
    assert result.exit_code == 0, result.output
    assert f"stack config {EXAMPLE_STACK} (no Pulumi.yaml in {outside} or above it" in (
        result.stderr
    )


def test_stack_config_dir_of_the_project_is_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pulumi.yaml `stackConfigDir` (sdk/go/common/workspace/project.go): stack files live there.
    folder = tmp_path / "cluster"
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text(PROJECT + "stackConfigDir: stacks\n")
    (folder / "stacks").mkdir()
    shutil.copy(EXAMPLE_STACK, folder / "stacks" / "Pulumi.prod.yaml")
    shutil.copy(EXAMPLE_STACK, folder / "Pulumi.stray.yaml")  # not in stackConfigDir
    result = validate(folder, monkeypatch)
    assert result.exit_code == 0, result.output
    assert f"stack config {folder / 'stacks' / 'Pulumi.prod.yaml'}" in result.stderr


def test_plan_json_keeps_stdout_the_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = project(tmp_path / "cluster", "prod")
    monkeypatch.chdir(folder)
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    result = CliRunner().invoke(cli, ["plan", "--json"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("{")
    assert "Pulumi.prod.yaml" in result.stderr
