"""`gpufleet diff`: what a stack-config change would do, offline (no credentials, no state)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import click

from bootstrap.commands._common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    config_errors,
    interrupt_stops,
    stack_file,
)


def _from_git(ref: str, path: Path) -> Path:
    """The file at `path` as of git `ref`, written to a temporary file."""
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=path.parent or ".",
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
        rel = path.resolve().relative_to(Path(top).resolve())
        text = subprocess.run(
            ["git", "show", f"{ref}:{rel.as_posix()}"],
            cwd=top,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, ValueError, OSError) as e:
        detail = getattr(e, "stderr", "") or str(e)
        click.echo(f"gpufleet diff: cannot read {path} at {ref}: {detail.strip()}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    out = Path(tempfile.mkdtemp(prefix="gpufleet-base-")) / path.name
    out.write_text(text, encoding="utf-8")
    return out


@click.command("diff")
@click.option(
    "--base",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Stack config before the change (Pulumi.<stack>.yaml).",
)
@click.option(
    "--base-ref",
    help="Read the base config from this git ref instead (e.g. origin/main), at the --head path.",
)
@click.option(
    "--head",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Stack config after the change (default: the stack `gpufleet plan` would pick).",
)
@click.option(
    "--max-chars",
    type=click.IntRange(2_000, 65_536),
    default=60_000,
    show_default=True,
    help="Upper bound on the Markdown length.",
)
def command(base: Path | None, base_ref: str | None, head: Path | None, max_chars: int) -> None:
    """Plan BASE and HEAD offline and print the difference as Markdown for a PR comment.

    Added, removed and changed resources with their inputs, the GPU impact per pool, and
    replacements predicted from the provider's ForceNew rules (each citing its source).
    """
    from bootstrap.review.markdown import render
    from bootstrap.review.model import ReviewInputError
    from bootstrap.review.offline import diff_manifests
    from infra.offline.plan import run_plan

    if (base is None) == (base_ref is None):
        click.echo("gpufleet diff: give exactly one of --base FILE or --base-ref REF", err=True)
        sys.exit(EXIT_BAD_INPUT)
    head = stack_file(head, example=False, flag="--head")
    base_file = base if base is not None else _from_git(str(base_ref), head)
    from bootstrap.commands import _policy

    with interrupt_stops("diff"), config_errors():
        before = run_plan(base_file).manifest()
        head_plan = run_plan(head)
    try:
        review = diff_manifests(before, head_plan.manifest())
    except ReviewInputError as exc:
        click.echo(f"gpufleet diff: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    from bootstrap.review.scripts import rendered_scripts, script_diff_markdown
    from infra.config import load_stack_file

    found = _policy.violations(head_plan)
    policy_md = _policy.markdown(found)
    from bootstrap.review.power import power_markdown

    power_md = power_markdown(before["summary"], head_plan.manifest()["summary"])
    scripts_md = script_diff_markdown(
        rendered_scripts(load_stack_file(base_file)),
        rendered_scripts(head_plan.config),
        budget=max_chars // 3,
    )
    budget = max_chars - len(policy_md) - len(scripts_md) - len(power_md)
    click.echo(render(review, limit=budget), nl=False)
    click.echo(power_md, nl=False)
    click.echo(scripts_md, nl=False)
    click.echo(policy_md, nl=False)
    if _policy.has_mandatory(found):
        sys.exit(EXIT_FAILED)
