"""`gpufleet review PREVIEW.json`: a `pulumi preview --json` as a GPU-aware PR comment."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bootstrap.commands._common import EXIT_BAD_INPUT


@click.command("review")
@click.argument("preview", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--plan",
    "plan",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="`gpufleet plan --json` of the same stack: shapes and sizes of unchanged pool resources.",
)
@click.option(
    "--max-chars",
    type=click.IntRange(2_000, 65_536),
    default=60_000,
    show_default=True,
    help="Upper bound on the Markdown length.",
)
def command(preview: Path, plan: Path | None, max_chars: int) -> None:
    """Render PREVIEW (`pulumi preview --json` output) as Markdown for a PR comment.

    Worst thing first: pools destroyed or recreated, GPUs, $/hour and kW before and after,
    dangerous operations with their diffs, every other change folded.
    """
    from bootstrap.review.markdown import render
    from bootstrap.review.model import ReviewInputError
    from bootstrap.review.preview import load_json, review_preview

    try:
        doc = load_json(preview, "preview")
        manifest = load_json(plan, "plan manifest") if plan else None
        review = review_preview(doc, manifest)
    except ReviewInputError as exc:
        click.echo(f"gpufleet review: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(render(review, limit=max_chars), nl=False)
