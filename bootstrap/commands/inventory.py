"""`gpufleet inventory`: make the JSON inventory from stack outputs, export it for others.

    pulumi stack output --json > outputs.json
    gpufleet inventory --from-stack-output outputs.json --out inventory.json \
        --ansible hosts.yaml --hostfile hostfile

Without --out the inventory JSON goes to stdout. `--ansible` writes YAML for .yaml/.yml names,
INI otherwise. `--inventory FILE` exports an existing inventory instead.

Quarantined nodes (``quarantine.json`` beside the inventory — beside ``--out``, or in the current
folder when the JSON goes to stdout — or ``--quarantine-file``) are left out of everything
written, the inventory JSON included; stderr says how many and where the list is. The inventory
JSON keeps spares and nodes that failed the gate (the next export needs them); the Ansible
inventory and hostfile hold only each pool's active nodes: those that passed the health gate
(``health.json`` beside the inventory, or ``--health``) and, where the stack recorded
``nodes_requested`` N, the N most compact of them. Without a report, the Ansible inventory counts
every node as passing (it is what bootstraps them), but ``--hostfile`` is refused (exit 2, nothing
written) unless ``--allow-unchecked`` says so: no node joins a hostfile unchecked. Compactness
comes from `bootstrap.topology.spares`, ranked by ``--facts-dir`` IMDS host facts when given, else
by name. The recap on stderr names the spares::

    gpufleet: pool h100: 64 active, 2 spares ready: h100-0013, h100-0040

and ``--spares FILE`` writes the selection as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from bootstrap.commands.topology import (
    HEALTH_FILE,
    UNCHECKED,
    drop_quarantined,
    passing_nodes,
    read_placements,
    report_selection,
)
from bootstrap.health.quarantine import default_path
from bootstrap.inventory.export import (
    ReservedGroupError,
    check_ansible_groups,
    to_ansible_ini,
    to_ansible_yaml,
    to_hostfile,
)
from bootstrap.inventory.load import InventoryError, load_inventory, parse_inventory
from bootstrap.inventory.model import Inventory
from bootstrap.inventory.stack_output import from_stack_output
from bootstrap.runner.command_line import bad_input
from bootstrap.topology.spares import select_pools

_FILE = click.Path(dir_okay=False, path_type=Path)


@click.command(name="inventory")
@click.option(
    "--from-stack-output",
    "stack_output",
    type=_FILE,
    help="`pulumi stack output --json` of the cluster stack.",
)
@click.option("--inventory", "inventory_path", type=_FILE, help="An existing inventory.")
@click.option("--out", type=_FILE, help="Write the inventory JSON here (default: stdout).")
@click.option("--identity-file", help="ssh.identity_file to record (default: ssh-agent).")
@click.option("--known-hosts", help="ssh.known_hosts to record.")
@click.option("--ansible", type=_FILE, help="Also write an Ansible inventory (YAML or INI).")
@click.option("--hostfile", type=_FILE, help="Also write an MPI hostfile.")
@click.option("--slots", type=click.IntRange(min=1), help="slots=N per hostfile line.")
@click.option(
    "--quarantine-file",
    type=_FILE,
    help="Quarantine list (default: quarantine.json beside the inventory).",
)
@click.option(
    "--health",
    "health_file",
    type=_FILE,
    help="Health report (default: health.json beside the inventory).",
)
@click.option(
    "--facts-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="<node>/imds-host.txt facts: pick the active N by topology.",
)
@click.option("--spares", "spares_out", type=_FILE,
              help="Write the active and spare nodes per pool here as JSON.")  # fmt: skip
@click.option(
    UNCHECKED,
    "allow_unchecked",
    is_flag=True,
    help="Write --hostfile without a health report: every non-quarantined node counts as passing.",
)
def command(
    stack_output: Path | None,
    inventory_path: Path | None,
    out: Path | None,
    identity_file: str | None,
    known_hosts: str | None,
    ansible: Path | None,
    hostfile: Path | None,
    slots: int | None,
    quarantine_file: Path | None,
    health_file: Path | None,
    facts_dir: Path | None,
    spares_out: Path | None,
    allow_unchecked: bool,
) -> None:
    """Build an inventory from stack outputs; export Ansible inventory / MPI hostfile."""
    if (stack_output is None) == (inventory_path is None):
        bad_input("give exactly one of --from-stack-output FILE or --inventory FILE")
    try:
        if stack_output is not None:
            doc = from_stack_output(
                stack_output, identity_file=identity_file, known_hosts=known_hosts
            )
            base = out.resolve().parent if out else Path.cwd()
            inventory = parse_inventory(doc, base=base, label=stack_output.name)
            where = out or Path("inventory.json")
        else:
            assert inventory_path is not None
            inventory = load_inventory(inventory_path)
            doc, where = None, inventory_path
    except InventoryError as exc:
        bad_input(str(exc))
    if ansible:
        try:
            check_ansible_groups(inventory)
        except ReservedGroupError as exc:
            bad_input(str(exc))
    inventory = drop_quarantined(inventory, quarantine_file or default_path(where))
    active = None
    if ansible or hostfile or spares_out:  # judged before anything is written
        health = health_file or where.resolve().parent / HEALTH_FILE
        active = _active(inventory, health, facts_dir, spares_out, hostfile, allow_unchecked)
    if doc is not None:
        kept = {n.name for n in inventory.nodes}
        if not kept:
            bad_input("every node is quarantined: no inventory written (release nodes with "
                      "`gpufleet quarantine release`, or replace them)")  # fmt: skip
        doc["nodes"] = [n for n in doc["nodes"] if n["name"] in kept]
        text = json.dumps(doc, indent=2) + "\n"
        if out:
            out.write_text(text)
        else:
            click.echo(text, nl=False)
    if active is not None:
        _exports(active, ansible, hostfile, slots)


def _active(
    inv: Inventory,
    health: Path,
    facts_dir: Path | None,
    spares: Path | None,
    hostfile: Path | None,
    allow_unchecked: bool,
) -> Inventory:
    """The nodes exports hold: passing, and each pool's N most compact (recap on stderr). An MPI
    hostfile needs a health report (or --allow-unchecked); an Ansible inventory, used to
    bootstrap nodes before any health check, does not."""
    passing = passing_nodes(health, gated=hostfile is not None, allow_unchecked=allow_unchecked)
    placements = {}
    if facts_dir is not None:
        hosts = {n.name: n.host for n in inv.nodes if passing is None or n.name in passing}
        found, problems = read_placements(facts_dir, hosts)
        placements = {p.node: p for p in found}
        if problems:
            click.echo(f"gpufleet: warning: {len(problems)} nodes without topology facts, "
                       "ranked last:\n  " + "\n  ".join(problems), err=True)  # fmt: skip
    selection = select_pools(inv.nodes, inv.pool_sizes, placements, passing)
    report_selection(selection, spares)
    return inv.select(limit=[n.name for n in inv.nodes if n.name in selection.active])


def _exports(
    inv: Inventory, ansible: Path | None, hostfile: Path | None, slots: int | None
) -> None:
    if ansible:
        yaml_name = ansible.suffix in (".yaml", ".yml")
        ansible.write_text(to_ansible_yaml(inv) if yaml_name else to_ansible_ini(inv))
    if hostfile:
        hostfile.write_text(to_hostfile(inv, slots=slots))
