"""`gpufleet quarantine list|add|release`: the nodes kept out of hostfiles and exports.

    gpufleet quarantine add gpu-0007 --reason "Xid 79" --check gpu-xid:79 --inventory inv.json
    gpufleet quarantine list --inventory inv.json
    gpufleet quarantine release gpu-0007 --inventory inv.json

The list lives in ``quarantine.json`` beside the inventory (or ``--file``). Exit 2 on bad input
(an unreadable list, releasing a node that is not quarantined).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from bootstrap.health.quarantine import Quarantine, QuarantineError, default_path, load, save

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> None:
    click.echo(f"gpufleet: error: {message}", err=True)
    sys.exit(2)


def _path(inventory: Path | None, file: Path | None) -> Path:
    if file is not None:
        return file
    if inventory is None:
        _fail("give --inventory FILE (the list is quarantine.json beside it) or --file FILE")
    assert inventory is not None
    return default_path(inventory)


def _load(path: Path) -> Quarantine:
    try:
        return load(path)
    except QuarantineError as exc:
        _fail(str(exc))
        raise


_where = [
    click.option("--inventory", type=click.Path(dir_okay=False, path_type=Path)),
    click.option("--file", "file", type=click.Path(dir_okay=False, path_type=Path)),
]


def _with_where(f: F) -> F:
    for option in reversed(_where):
        f = option(f)
    return f


@click.group("quarantine")
def command() -> None:
    """Nodes kept out of every hostfile and inventory export."""


@command.command("list")
@_with_where
@click.option("--json", "as_json", is_flag=True)
def list_cmd(inventory: Path | None, file: Path | None, as_json: bool) -> None:
    """Show quarantined nodes."""
    q = _load(_path(inventory, file))
    if as_json:
        click.echo(json.dumps(q.to_dict(), indent=2))
        return
    for e in q.entries:
        click.echo(f"{e.node}\t{e.since}\t{e.reason}\t{','.join(e.checks)}")


@command.command("add")
@click.argument("node")
@_with_where
@click.option("--reason", required=True)
@click.option("--check", "checks", multiple=True, help="A failing check (repeatable).")
def add_cmd(
    node: str, inventory: Path | None, file: Path | None, reason: str, checks: tuple[str, ...]
) -> None:
    """Quarantine NODE."""
    path = _path(inventory, file)
    save(path, _load(path).add(node, reason, checks))
    click.echo(f"quarantined {node}: {reason}")


@command.command("release")
@click.argument("node")
@_with_where
def release_cmd(node: str, inventory: Path | None, file: Path | None) -> None:
    """Release NODE back into hostfiles and exports."""
    path = _path(inventory, file)
    try:
        q = _load(path).release(node)
    except KeyError:
        _fail(f"{node} is not in {path}")
        return
    save(path, q)
    click.echo(f"released {node}")
