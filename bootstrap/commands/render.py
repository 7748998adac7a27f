"""`gpufleet render`: write each pool's bootstrap script, cloud-init and nccl.conf."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bootstrap.commands._common import (
    EXIT_BAD_INPUT,
    config_errors,
    stack_config_option,
    stack_file,
)


@click.command("render")
@stack_config_option
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder: OUT/<pool>/{bootstrap.sh,cloud-init.yaml,nccl.conf}, OUT/manifest.json.",
)
def command(stack_config: Path | None, example: bool, out: Path) -> None:
    """Render each pool's node bootstrap (offline); exit 2 if a pool cannot be rendered."""
    from bootstrap.render import RenderError, render_all
    from infra.config import load_stack_file

    path = stack_file(stack_config, example)
    with config_errors():
        config = load_stack_file(path)
    try:
        result = render_all(config, out)
    except RenderError as exc:
        click.echo(f"{path}: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    for pool, ud in result["user_data"].items():
        click.echo(
            f"{out / pool}: bootstrap.sh, cloud-init.yaml, nccl.conf "
            f"(user_data {ud['base64_bytes']} bytes base64{', gzip' if ud['gzip'] else ''})"
        )
    click.echo(f"{out / 'manifest.json'}: {len(result['files'])} files")
