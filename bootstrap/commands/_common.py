"""Helpers shared by sub-commands: how bad input is reported (exit 2, no traceback)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

F = TypeVar("F", bound=Callable[..., Any])


def stack_config_option(f: F) -> F:
    """`--stack-config FILE` and `--example`; resolve them with `stack_file()`."""
    f = click.option(
        "--example",
        is_flag=True,
        help="Use the example stack shipped with gpufleet (2 x H100).",
    )(f)
    option = click.option(
        "--stack-config",
        "stack_config",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="A Pulumi.<stack>.yaml file (default: as `pulumi` picks it: $PULUMI_STACK's, "
        "else the project's only stack file; outside a project, the example).",
    )
    return option(f)


def stack_file(explicit: Path | None, example: bool, flag: str = "--stack-config") -> Path:
    """The stack file to read; says which on stderr; exit 2 when the choice is unclear."""
    from infra.config.stack_file import choose_stack_file

    with config_errors():
        choice = choose_stack_file(explicit, example=example, flag=flag)
    click.echo(f"gpufleet: stack config {choice.path} ({choice.why})", err=True)
    return choice.path


@contextmanager
def config_errors() -> Iterator[None]:
    """Turn a ConfigError into its message on stderr and exit code 2."""
    from infra.config import ConfigError

    try:
        yield
    except ConfigError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(EXIT_BAD_INPUT)
