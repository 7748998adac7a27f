"""Helpers shared by sub-commands: how bad input is reported (exit 2, no traceback)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

stack_config_option = click.option(
    "--stack-config",
    "stack_config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A Pulumi.<stack>.yaml file (default: the embedded example stack).",
)


@contextmanager
def config_errors() -> Iterator[None]:
    """Turn a ConfigError into its message on stderr and exit code 2."""
    from infra.config import ConfigError

    try:
        yield
    except ConfigError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(EXIT_BAD_INPUT)
