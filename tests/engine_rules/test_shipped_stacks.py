"""Every stack the project ships or documents passes the Pulumi CLI's config gate, and the
project file declares exactly what the program reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bootstrap.cli import cli
from infra.config import StackConfig
from infra.config.load import from_pulumi_config
from infra.config.model import Bastion, FileSystem, Pool, Software, Subnets, Training
from infra.engine_rules.config_set import SECRET_KEY_PATTERN, apply_command, commands_in
from infra.engine_rules.gate import GateError, engine_config, merge_config
from infra.engine_rules.project import load_project, parse_project
from infra.engine_rules.values import Value, load_stack
from tests.infra.conftest import ROOT, STACKS, stack_id

PROJECT_FILE = ROOT / "Pulumi.yaml"
README = (ROOT / "README.md").read_text()
EXAMPLE_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFJpeZlDTZYGW/dEukR3kA1quuNFL2jh93Z5ytA138sF readme"
)


@pytest.mark.parametrize("path", STACKS, ids=stack_id)
def test_every_shipped_stack_passes_the_gate(path: Path) -> None:
    project = load_project(PROJECT_FILE)
    merged = engine_config(merge_config(project, stack_id(path), load_stack(path, project.name)))
    # what the program then receives is valid for it too (defaults included)
    config = from_pulumi_config(merged)
    assert config.pools


def test_keys_without_default_fail_the_gate_as_they_did() -> None:
    """The failure of issue 11 reproduced: `subnets` declared with a type and no default."""
    doc = yaml.safe_load(PROJECT_FILE.read_text())
    del doc["config"]["gpufleet:subnets"]["default"]
    project = parse_project(doc)
    example = ROOT / "Pulumi.example.yaml"
    with pytest.raises(GateError) as err:
        merge_config(project, "example", load_stack(example, project.name))
    assert err.value.errors == ["Stack 'example' is missing configuration value 'gpufleet:subnets'"]


def _readme_stack() -> tuple[str, dict[str, Value]]:
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    quickstart = next(b for b in blocks if "pulumi config set" in b and "pulumi up" in b)
    stack = re.search(r"pulumi stack init (\S+)", quickstart)
    assert stack, "the quickstart names its stack"
    config: dict[str, Value] = {}
    commands = commands_in(quickstart)
    assert len(commands) >= 10
    for argv in commands:
        apply_command(config, "gpufleet", argv)
    return stack.group(1), config


def test_readme_quickstart_passes_the_gate() -> None:
    name, config = _readme_stack()
    project = load_project(PROJECT_FILE)
    merged = engine_config(merge_config(project, name, config))
    assert json.loads(merged["gpufleet:pools"])[0] == {
        "name": "h100",
        "shape": "BM.GPU.H100.8",
        "nodes": 2,  # --path coerces "2" to a number
        "image_id": "ocid1.image.oc1.iad.aaaa...",
        "os": "ubuntu-22.04",
    }


def _filled(config: dict[str, Value]) -> dict[str, object]:
    """The README's stack as a stack file, its placeholders replaced by well-formed values."""
    doc: dict[str, object] = {}
    for key, value in config.items():
        text = value.text.replace("$(cat ~/.ssh/id_ed25519.pub)", EXAMPLE_KEY)
        text = re.sub(r"(ocid1\.[a-z]+\.oc1\.[a-z-]*\.)aaaa\.\.\.", r"\1aaaaaaaareadme0001", text)
        doc[key] = json.loads(text) if value.object else text
    return {"config": doc}


def test_readme_quickstart_validates(tmp_path: Path) -> None:
    name, config = _readme_stack()
    stack_file = tmp_path / f"Pulumi.{name}.yaml"
    stack_file.write_text(yaml.safe_dump(_filled(config)))
    result = CliRunner().invoke(
        cli, ["validate", "--stack-config", str(stack_file), "--project", str(PROJECT_FILE)]
    )
    assert result.exit_code == 0, result.output
    assert "ok (1 pool(s), 2 nodes)" in result.output


def test_validate_fails_where_the_cli_would(tmp_path: Path) -> None:
    doc = yaml.safe_load(PROJECT_FILE.read_text())
    del doc["config"]["gpufleet:tags"]["default"]
    project = tmp_path / "Pulumi.yaml"
    project.write_text(yaml.safe_dump(doc))
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text((ROOT / "Pulumi.example.yaml").read_text().split("  gpufleet:tags:")[0])
    result = CliRunner().invoke(cli, ["validate", "--stack-config", str(stack)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "gpufleet:tags = (missing)" in result.output
    assert "Stack 'dev' is missing configuration value 'gpufleet:tags'" in result.output
    stack.write_text(
        (ROOT / "Pulumi.example.yaml").read_text().replace("team: ml-infra", "- ml-infra")
    )
    result = CliRunner().invoke(cli, ["validate", "--stack-config", str(stack)])
    assert result.exit_code == 2
    assert "must be of type 'object'" in result.output


def test_validate_runs_what_plan_runs(write_stack) -> None:  # type: ignore[no-untyped-def]
    software = yaml.safe_load((ROOT / "Pulumi.example.yaml").read_text())["config"]
    path = write_stack(
        {"gpufleet:software": {**software["gpufleet:software"], "driver": "535.104.05"}}
    )
    plan = CliRunner().invoke(cli, ["plan", "--json", "--stack-config", str(path)])
    validate = CliRunner().invoke(cli, ["validate", "--stack-config", str(path)])
    assert plan.exit_code == validate.exit_code == 1
    assert "policy: [mandatory] software-compatible" in validate.output


@pytest.mark.parametrize("path", STACKS, ids=stack_id)
def test_every_shipped_stack_validates(path: Path) -> None:
    """Every shipped stack passes every check, torch against CUDA included."""
    result = CliRunner().invoke(cli, ["validate", "--stack-config", str(path)])
    assert result.exit_code == 0, result.output


def test_validate_and_plan_check_torch_against_cuda(write_stack) -> None:  # type: ignore[no-untyped-def]
    """A venv torch with no wheel for the CUDA: the program refuses to render its bootstrap, so
    plan and validate stop with exit 2 and the policy's message (policy/compat.py)."""
    software = yaml.safe_load((ROOT / "Pulumi.example.yaml").read_text())["config"]
    sw = software["gpufleet:software"]
    # CUDA 12.4 with its NCCL build: driver and NCCL fit; torch 2.8 has no 12.x <= 12.4 wheel
    cuda_124 = {**sw, "cuda": "12.4", "nccl": "2.21.5-1"}
    path = write_stack({"gpufleet:software": {**cuda_124, "training": {"torch": "2.8.0"}}})
    plan = CliRunner().invoke(cli, ["plan", "--stack-config", str(path)])
    validate = CliRunner().invoke(cli, ["validate", "--stack-config", str(path)])
    assert plan.exit_code == validate.exit_code == 2
    assert "Traceback" not in validate.output
    assert plan.output.endswith(validate.output.split("\n", 1)[1])  # the same problem listed
    assert "pool 'h100': software.training.torch = '2.8.0': PyTorch 2.8 publishes wheels " in (
        validate.output
    )
    assert "only for CUDA 12.6, 12.8, 12.9" in validate.output
    assert "releases with a wheel for CUDA 12.4: 2.4.x, 2.5.x, 2.6.x" in validate.output
    assert "fix: pick one of those or change software.cuda" in validate.output
    # a release missing from the table is reported, never guessed
    path = write_stack({"gpufleet:software": {**sw, "training": {"torch": "2.3.1"}}})
    validate = CliRunner().invoke(cli, ["validate", "--stack-config", str(path)])
    assert validate.exit_code == 2
    assert "PyTorch 2.3 is not in the known torch/CUDA matrix" in validate.output
    # the same torch in a container image is the image's business
    image = {"kind": "container", "torch": "2.8.0", "image": "nvcr.io/nvidia/pytorch:24.12-py3"}
    path = write_stack({"gpufleet:software": {**cuda_124, "training": image}})
    validate = CliRunner().invoke(cli, ["validate", "--stack-config", str(path)])
    assert validate.exit_code == 0, validate.output


def _fields(model: type) -> set[str]:
    return set(model.model_fields)  # type: ignore[attr-defined]


def test_project_declares_every_key_the_program_reads() -> None:
    project = load_project(PROJECT_FILE)
    declared = {k.removeprefix("gpufleet:") for k in project.config}
    assert declared == _fields(StackConfig) - {"region"}  # region is oci:region
    described = {k.removeprefix("gpufleet:"): d.description for k, d in project.config.items()}
    for key, model in (
        ("pools", Pool),
        ("software", Software),
        ("bastion", Bastion),
        ("subnets", Subnets),
    ):
        missing = [f for f in _fields(model) if not re.search(rf"\b{f}\b", described[key])]
        assert not missing, f"Pulumi.yaml {key} description omits {missing}"
    for model in (FileSystem, Training):
        assert all(re.search(rf"\b{f}\b", described["storage"] + described["software"])
                   for f in _fields(model))  # fmt: skip


def test_only_required_model_keys_lack_a_default() -> None:
    project = load_project(PROJECT_FILE)
    required = {
        k.removeprefix("gpufleet:")
        for k, d in project.config.items()
        if d.default is None and d.value is None
    }
    assert required == {n for n, f in StackConfig.model_fields.items() if f.is_required()}


def test_no_key_is_entropy_checked_as_a_secret() -> None:
    project = load_project(PROJECT_FILE)
    assert not [k for k in project.config if SECRET_KEY_PATTERN.search(k.split(":")[1])]


def test_readme_configuration_table_lists_every_declared_key() -> None:
    table = README.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `([a-z_]+)", table, re.M))
    declared = {k.removeprefix("gpufleet:") for k in load_project(PROJECT_FILE).config}
    assert declared <= rows, declared - rows


def test_a_config_the_program_refuses_is_exit_2_not_a_traceback(write_stack) -> None:  # type: ignore[no-untyped-def]
    """`pulumi preview` would stop in the program (user data over OCI's metadata cap)."""
    software = yaml.safe_load((ROOT / "Pulumi.example.yaml").read_text())["config"]
    packages = [f"pkg{i}==1.0.{i}" for i in range(3000)]
    sw = software["gpufleet:software"]
    path = write_stack(
        {"gpufleet:software": {**sw, "training": {**sw["training"], "packages": packages}}}
    )
    for command in ("validate", "plan"):
        result = CliRunner().invoke(cli, [command, "--stack-config", str(path)])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert "32000-byte metadata cap" in result.output
