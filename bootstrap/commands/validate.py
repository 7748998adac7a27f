"""`gpufleet validate`: check a stack config and list every problem at once."""

from __future__ import annotations

from pathlib import Path

import click

from bootstrap.commands._common import config_errors, stack_config_option, stack_file


@click.command("validate")
@stack_config_option
def command(stack_config: Path | None, example: bool) -> None:
    """Validate a stack config; exit 2 with every problem listed if it is not deployable."""
    from infra.config import load_stack_file

    path = stack_file(stack_config, example)
    with config_errors():
        config = load_stack_file(path)
    click.echo(f"{path}: ok ({len(config.pools)} pool(s), {config.total_nodes} nodes)")
