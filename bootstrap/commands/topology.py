"""`gpufleet topology`: rank-ordered hostfile and Slurm topology.conf from IMDS host facts.

    gpufleet topology --facts-dir DIR [--inventory FILE] [--hostfile OUT] [--slurm OUT]

Reads ``DIR/<node>/imds-host.txt`` (output of ``curl .../opc/v2/host``) for every node folder,
or for the inventory's nodes when ``--inventory`` is given (then hostfile lines are the
inventory's addresses, and quarantined nodes are left out). Without ``--hostfile``/``--slurm``
prints the hostfile. Exit codes: 0 written · 2 bad input (missing or unparseable facts).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bootstrap.facts.base import strip_provenance
from bootstrap.facts.errors import FactParseError
from bootstrap.facts.host_topology import parse as parse_host
from bootstrap.health.quarantine import QuarantineError, admit, default_path, load
from bootstrap.inventory.load import InventoryError, load_inventory
from bootstrap.topology import Placement, order, place, render_hostfile, topology_conf

FACT_FILE = "imds-host.txt"


def _fail(message: str) -> None:
    click.echo(f"gpufleet: error: {message}", err=True)
    sys.exit(2)


def _targets(facts_dir: Path, inventory: Path | None, q_file: Path | None) -> dict[str, str]:
    """node name -> hostfile address, quarantined nodes removed."""
    if inventory is None:
        names = sorted(p.name for p in facts_dir.iterdir() if (p / FACT_FILE).is_file())
        hosts = {n: n for n in names}
    else:
        try:
            hosts = {n.name: n.host for n in load_inventory(inventory).nodes}
        except InventoryError as exc:
            _fail(str(exc))
    q_path = q_file or (default_path(inventory) if inventory else None)
    if q_path is not None:
        try:
            keep = admit(hosts, load(q_path))
        except QuarantineError as exc:
            _fail(str(exc))
        hosts = {n: hosts[n] for n in keep}
    return hosts


def _placements(facts_dir: Path, hosts: dict[str, str]) -> list[Placement]:
    out, problems = [], []
    for name, host in hosts.items():
        path = facts_dir / name / FACT_FILE
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
            out.append(place(name, host, parse_host(strip_provenance(text))))
        except OSError as exc:
            problems.append(f"{path}: cannot read: {exc.strerror}")
        except FactParseError as exc:
            problems.append(f"{path}: {exc.reason}")
    if problems:
        _fail("no topology for some nodes (collect `curl .../opc/v2/host` on them):\n  "
              + "\n  ".join(problems))  # fmt: skip
    return out


@click.command(name="topology")
@click.option(
    "--facts-dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder with <node>/imds-host.txt.",
)
@click.option(
    "--inventory",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Limit to these nodes, use their addresses, honour the quarantine.",
)
@click.option(
    "--quarantine-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Quarantine list (default: quarantine.json beside the inventory).",
)
@click.option("--slots", type=click.IntRange(min=1), help="Append slots=N to hostfile lines.")
@click.option("--hostfile", "hostfile_out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--slurm", "slurm_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a Slurm topology.conf (tree plugin) here.")  # fmt: skip
def command(
    facts_dir: Path,
    inventory: Path | None,
    quarantine_file: Path | None,
    slots: int | None,
    hostfile_out: Path | None,
    slurm_out: Path | None,
) -> None:
    """Write a topology-ordered hostfile and a Slurm topology.conf."""
    if not facts_dir.is_dir():
        _fail(f"--facts-dir {facts_dir}: not a folder")
    hosts = _targets(facts_dir, inventory, quarantine_file)
    if not hosts:
        _fail(f"no nodes with {FACT_FILE} under {facts_dir}")
    placements = order(_placements(facts_dir, hosts))
    hostfile = render_hostfile(placements, slots=slots)
    if hostfile_out:
        hostfile_out.write_text(hostfile, encoding="utf-8")
    if slurm_out:
        slurm_out.write_text(topology_conf(placements), encoding="utf-8")
    if not hostfile_out and not slurm_out:
        click.echo(hostfile, nl=False)
