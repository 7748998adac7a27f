"""Which Pulumi.<stack>.yaml a command reads, chosen the way the Pulumi CLI chooses it.

In order:

1. `--stack-config FILE`: that file.
2. `--example`: the example stack shipped inside the package (`infra/Pulumi.example.yaml`).
3. Inside a Pulumi project (the nearest `Pulumi.yaml`/`Pulumi.yml` in the working folder or
   above it, as `pulumi` finds it: sdk/go/common/workspace/paths.go `DetectProjectPathFrom`):
   the stack file beside it (or in its `stackConfigDir`), named `Pulumi.<stack>.<ext>` like
   `DetectProjectStackPath` names it, for the stack `PULUMI_STACK` selects (the Pulumi CLI
   reads that variable since pulumi/pulumi#18717), else the project's only stack file. Several
   and none selected, or none at all: refused, with the files listed.
4. Outside any project: the example stack.

A stack file that is there but broken is reported as broken (exit 2), never swapped for the
example. Every choice says which file it is and why (`StackChoice.why`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from infra.config.problems import ConfigError, Problem, show
from infra.input_file import InputFileError, load_yaml

EXAMPLE_STACK = Path(__file__).resolve().parents[1] / "Pulumi.example.yaml"
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
STACK_ENV = "PULUMI_STACK"


@dataclass(frozen=True)
class StackChoice:
    path: Path
    why: str  # e.g. "PULUMI_STACK=prod", "the only stack file of the project in /src/cluster"


def find_project(start: Path) -> Path | None:
    """The nearest Pulumi.yaml (or .yml) at or above `start`, as `pulumi` walks up to it."""
    for folder in (start, *start.parents):
        for name in PROJECT_FILES:
            if (folder / name).is_file():
                return folder / name
    return None


def _refuse(key: str, value: str, message: str, fix: str) -> ConfigError:
    return ConfigError([Problem(key, value, message, fix)], "stack selection")


def _stack_dir(project: Path) -> Path:
    """The project's `stackConfigDir` (Pulumi.yaml key), else the project folder."""
    try:
        doc = load_yaml(project, "Pulumi project file")
    except InputFileError as exc:
        raise _refuse("(project)", show(str(project)), exc.problem, exc.fix) from None
    sub = doc.get("stackConfigDir") if isinstance(doc, dict) else None
    return project.parent / sub if isinstance(sub, str) and sub else project.parent


def stack_files(project: Path) -> list[Path]:
    """The project's stack files, sorted (not Pulumi.yaml, not `Pulumi.<stack>.deploy.*`)."""
    ext = project.suffix
    folder = _stack_dir(project)
    return sorted(
        p
        for p in folder.glob(f"Pulumi.*{ext}")
        if p.name not in PROJECT_FILES and not p.name.endswith(f".deploy{ext}")
    )


def choose_stack_file(
    explicit: Path | None = None,
    *,
    example: bool = False,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    flag: str = "--stack-config",
) -> StackChoice:
    """The stack file to read and why; ConfigError (exit 2) when the choice is not clear."""
    if explicit is not None and example:
        raise _refuse(
            "--example",
            "set",
            f"{flag} and --example both name a stack file",
            "pass one of them",
        )
    if explicit is not None:
        return StackChoice(explicit, flag)
    if example:
        return StackChoice(EXAMPLE_STACK, "--example: the example stack shipped with gpufleet")
    cwd = cwd or Path.cwd()
    env = os.environ if env is None else env
    project = find_project(cwd)
    if project is None:
        return StackChoice(
            EXAMPLE_STACK,
            f"no {PROJECT_FILES[0]} in {cwd} or above it: the example stack shipped with gpufleet",
        )
    selected = env.get(STACK_ENV, "").strip()
    if selected:
        # `org/project/dev` names the stack `dev`; its file is Pulumi.dev.yaml.
        name = selected.rsplit("/", 1)[-1]
        path = _stack_dir(project) / f"Pulumi.{name}{project.suffix}"
        if not path.is_file():
            raise _refuse(
                STACK_ENV,
                show(selected),
                f"selects stack {name!r} but {path} does not exist",
                f"create it (copy {EXAMPLE_STACK.name} from `gpufleet validate --example`'s "
                f"path), or unset {STACK_ENV}, or pass --stack-config FILE",
            )
        return StackChoice(path, f"{STACK_ENV}={selected}")
    found = stack_files(project)
    if len(found) == 1:
        return StackChoice(found[0], f"the only stack file of the project {project}")
    names = ", ".join(p.name for p in found)
    if not found:
        raise _refuse(
            "(project)",
            show(str(project)),
            "this Pulumi project has no Pulumi.<stack>.yaml yet",
            f"create one (copy {EXAMPLE_STACK}), or pass --stack-config FILE, or --example",
        )
    stacks = ", ".join(p.name.split(".")[1] for p in found)
    raise _refuse(
        STACK_ENV,
        "(not set)",
        f"the project {project} has {len(found)} stack files ({names}) and none is selected",
        f"export {STACK_ENV}=<stack> (one of: {stacks}), or pass --stack-config FILE",
    )
