"""`gpufleet review PREVIEW...`: `pulumi preview --json` output as a GPU-aware PR comment."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from bootstrap.commands._common import EXIT_BAD_INPUT

_NAMED = re.compile(r"^([A-Za-z0-9_.-]+)=(.+)$")


def _split(arg: str) -> tuple[str, str]:
    """`STACK=PATH` -> (STACK, PATH); a bare PATH (or `-`) is named after its file."""
    match = _NAMED.match(arg)
    if match and not Path(arg).exists():
        return match.group(1), match.group(2)
    return ("stdin" if arg == "-" else Path(arg).name), arg


@click.command("review")
@click.argument("previews", nargs=-1, required=True, metavar="[STACK=]PREVIEW...")
@click.option(
    "--plan",
    "plans",
    multiple=True,
    metavar="[STACK=]FILE",
    help="`gpufleet plan --json` of the same stack: shapes and sizes of unchanged pool "
    "resources. With several previews, name the stack: --plan prod=plan-prod.json.",
)
@click.option(
    "--max-chars",
    type=click.IntRange(2_000, 65_536),
    # GitHub refuses comment bodies over 65,536 characters; the rest is the workflow's header.
    default=65_000,
    show_default=True,
    help="Upper bound on the Markdown length, for all stacks together.",
)
def command(previews: tuple[str, ...], plans: tuple[str, ...], max_chars: int) -> None:
    """Render each PREVIEW (`pulumi preview --json` output; `-` reads standard input) as one
    Markdown PR comment.

    Worst thing first: pools destroyed or recreated, GPUs, $/hour and kW before and after,
    dangerous operations with their diffs, every other change folded. Past --max-chars the
    least important detail goes first (unchanged pools, then updates' property tables, ...),
    and a note says what was left out. Several previews (`dev=a.json prod=b.json`) share the
    one budget.
    """
    from bootstrap.review.markdown import render_stacks
    from bootstrap.review.model import ReviewInputError
    from bootstrap.review.preview import load_json, review_preview

    named = [_split(arg) for arg in previews]
    try:
        if sum(path == "-" for _, path in named) > 1:
            raise ReviewInputError("`-` (standard input) can be given once only")
        plan_for = _plans(plans, [name for name, _ in named])
        reviews = []
        for name, path in named:
            doc = load_json(path, "preview")
            plan = plan_for.get(name)
            reviews.append((name, review_preview(doc, load_json(plan, "plan") if plan else None)))
    except ReviewInputError as exc:
        click.echo(f"gpufleet review: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(render_stacks(reviews, limit=max_chars), nl=False)


def _plans(plans: tuple[str, ...], names: list[str]) -> dict[str, str]:
    """Each --plan keyed by the stack it belongs to; a bare path goes with a single preview."""
    from bootstrap.review.model import ReviewInputError

    out: dict[str, str] = {}
    for arg in plans:
        match = _NAMED.match(arg)
        if match and not Path(arg).exists():
            name, path = match.group(1), match.group(2)
        elif len(names) == 1:
            name, path = names[0], arg
        else:
            raise ReviewInputError(
                f"--plan {arg}: with several previews, name its stack: --plan STACK={arg}"
            )
        if name not in names:
            raise ReviewInputError(
                f"--plan {arg}: no preview is named {name!r} (previews: {', '.join(names)})"
            )
        out[name] = path
    return out
