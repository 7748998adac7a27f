"""`gpufleet quarantine list|add|release|replace`: the nodes kept out of hostfiles and exports.

    gpufleet quarantine add gpu-0007 --reason "Xid 79" --check gpu-xid:79 --inventory inv.json
    gpufleet quarantine list --inventory inv.json
    gpufleet quarantine release gpu-0007 --inventory inv.json
    gpufleet quarantine replace --inventory inv.json --stack-config Pulumi.prod.yaml

``replace`` prints the ``pulumi config set --path`` commands that bump each quarantined node in
its pool's ``replace_nodes`` (`bootstrap.health.replacement`); review them, run them, then
``pulumi preview`` shows the replacements and ``pulumi up`` makes them. It changes nothing
itself, and prints nothing on stdout unless every quarantined node can be replaced.

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


@command.command("replace")
@click.option("--inventory", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--file", "file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--stack-config",
    "stack_config",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The Pulumi.<stack>.yaml whose pools hold the nodes.",
)
def replace_cmd(inventory: Path, file: Path | None, stack_config: Path) -> None:
    """Print the stack config commands that replace every quarantined node on `pulumi up`."""
    from bootstrap.commands._common import config_errors
    from bootstrap.health.replacement import plan
    from bootstrap.inventory.load import InventoryError, load_inventory
    from infra.config.load import load_stack_file

    q = _load(_path(inventory, file))
    try:
        inv = load_inventory(inventory)
    except InventoryError as exc:
        _fail(str(exc))
        return
    with config_errors():
        config = load_stack_file(stack_config)
    names = [e.node for e in q.entries]
    if not names:
        click.echo("gpufleet: nothing is quarantined: nothing to replace", err=True)
        return
    result = plan(names, inv.nodes, config)
    if result.problems:
        _fail("cannot replace every quarantined node:\n  " + "\n  ".join(result.problems))
    for cmd in result.sets:
        click.echo(cmd.shell())
    click.echo(
        f"gpufleet: {len(result.sets)} node(s) to replace: run the commands above, then "
        "`pulumi preview` (it lists each replacement) and `pulumi up`",
        err=True,
    )
