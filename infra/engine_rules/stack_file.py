"""One stack file through the CLI's gate, with the project file found the way the CLI finds it.

    engine_config, problems = gate_stack_file(Path("Pulumi.prod.yaml"))

The CLI reads Pulumi.yaml from the working directory or the nearest parent; a stack file lives
beside it (or below, with stackConfigDir). So the project is the nearest Pulumi.yaml at or above
the stack file, else gpufleet's own (a source checkout or editable install).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from infra.config.problems import ConfigError, Problem, show
from infra.engine_rules.gate import GateError, engine_config, merge_config
from infra.engine_rules.project import Project, ProjectError, load_project
from infra.engine_rules.values import load_stack

OWN_PROJECT = Path(__file__).resolve().parents[2] / "Pulumi.yaml"


def find_project(stack_file: Path) -> Path | None:
    for folder in Path(stack_file).resolve().parents:
        candidate = folder / "Pulumi.yaml"
        if candidate.is_file():
            return candidate
    return OWN_PROJECT if OWN_PROJECT.is_file() else None


def stack_name(stack_file: Path) -> str:
    """Pulumi.<stack>.yaml -> <stack> (the CLI names the file after the stack)."""
    return Path(stack_file).name.removeprefix("Pulumi.").removesuffix(".yaml") or "stack"


def _problems(project: Project, exc: GateError, stack: dict[str, object]) -> list[Problem]:
    out = []
    for r in exc.refusals:
        full = r.key if ":" in r.key else f"{project.name}:{r.key}"
        if r.kind == "missing":
            out.append(
                Problem(
                    full,
                    "(missing)",
                    f"required: Pulumi.yaml declares it without a default, so `pulumi preview` "
                    f"stops with: {r.cli_message}",
                    f"set it in the stack file (or `pulumi config set {full} ...`)",
                )
            )
        else:
            value = stack.get(full)
            what = f"must be of type '{r.expected}'" if r.kind == "type" else "must be secret"
            out.append(
                Problem(
                    full,
                    show(getattr(value, "text", value)),
                    f"{what} (Pulumi.yaml); `pulumi preview` stops with: {r.cli_message}",
                    "write the value in that shape"
                    if r.kind == "type"
                    else f"pulumi config set --secret {full} ...",
                )
            )
    return out


def gate_stack_file(stack_file: Path, project_file: Path | None = None) -> dict[str, str] | None:
    """The config the program would receive; ConfigError where the CLI would stop. None when
    the file cannot be read as YAML (the model's loader reports that with its line)."""
    project_path = project_file or find_project(stack_file)
    if project_path is None:
        raise ConfigError(
            [Problem("(project)", "(none)", "no Pulumi.yaml found", "pass --project FILE")],
            str(stack_file),
        )
    try:
        project = load_project(project_path)
    except (ProjectError, yaml.YAMLError, OSError) as exc:
        raise ConfigError(
            [
                Problem(
                    "(project)",
                    show(str(project_path)),
                    f"the Pulumi CLI would not load it: {exc}",
                    "fix Pulumi.yaml",
                )
            ],
            str(project_path),
        ) from None
    try:
        stack = load_stack(stack_file, project.name)
    except (yaml.YAMLError, OSError, ValueError):
        return None
    try:
        merged = merge_config(project, stack_name(stack_file), stack)
    except GateError as exc:
        raise ConfigError(_problems(project, exc, dict(stack)), str(stack_file)) from None
    return engine_config(merged)
