"""`gpufleet facts parse KIND FILE`: parse a recorded node output into a typed fact (offline).

Prints the fact as JSON (exit 0) or one line ``error: facts parse KIND FILE: reason`` (exit 2).
A first line starting ``# SOURCE:``/``<!-- SOURCE``/``# HAND-WRITTEN``/``# DERIVED`` (fixture
provenance) is skipped. Example::

    $ gpufleet facts parse ibdev2netdev ibdev2netdev.txt
    {"links": [{"device": "mlx5_0", "netdev": "rdma0", "port": 1, "state": "Up", "up": true}, …]}
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bootstrap.facts.base import strip_provenance
from bootstrap.facts.errors import FactParseError
from bootstrap.facts.registry import FACTS


@click.group("facts")
def command() -> None:
    """Parse recorded node outputs into typed facts (offline)."""


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@command.command("parse")
@click.argument("kind")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def parse_cmd(kind: str, file: Path) -> None:
    """Parse FILE (output of KIND's command) and print the fact as JSON."""
    fact_kind = FACTS.get(kind)
    if fact_kind is None:
        _fail(f"unknown fact kind {kind!r}; known kinds: {', '.join(sorted(FACTS))}")
        return
    try:
        text = file.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        _fail(f"facts parse {kind} {file}: cannot read file: {exc.strerror or exc}")
        return
    try:
        fact = fact_kind.parse(strip_provenance(text))
    except FactParseError as exc:
        _fail(f"facts parse {kind} {file}: {exc.reason}")
        return
    click.echo(fact.to_json())


@command.command("kinds")
def kinds_cmd() -> None:
    """List fact kinds with the command that gathers each on a node."""
    for name in sorted(FACTS):
        click.echo(f"{name}\t{FACTS[name].command}")
