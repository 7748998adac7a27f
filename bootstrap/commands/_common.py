"""Helpers shared by sub-commands: how bad input is reported (exit 2, no traceback)."""

from __future__ import annotations

import os
import signal
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
def interrupt_stops(what: str) -> Iterator[None]:
    """Within this block one Ctrl-C ends the process at once (exit 130), for work that writes
    nothing until it is done (plan, diff).

    Why not KeyboardInterrupt: Pulumi's mock runtime runs the program as asyncio tasks fed by
    worker threads; the interrupt lands in one task, is swallowed there, and the loop then
    waits forever for the RPCs that task would have answered.
    """

    def stop(signum: int, frame: object) -> None:
        sys.stderr.write(f"\ngpufleet: {what} interrupted; nothing was created or written\n")
        sys.stderr.flush()
        os._exit(130)  # 128 + SIGINT, as a shell reports it

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def config_errors() -> Iterator[None]:
    """Turn a ConfigError into its message on stderr and exit code 2."""
    from infra.config import ConfigError

    try:
        yield
    except ConfigError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(EXIT_BAD_INPUT)
