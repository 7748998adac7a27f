"""`gpufleet inventory`: make the JSON inventory from stack outputs, export it for others.

    pulumi stack output --json > outputs.json
    gpufleet inventory --from-stack-output outputs.json --out inventory.json \
        --ansible hosts.yaml --hostfile hostfile

Without --out the inventory JSON goes to stdout. `--ansible` writes YAML for .yaml/.yml names,
INI otherwise. `--inventory FILE` exports an existing inventory instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from bootstrap.inventory.export import to_ansible_ini, to_ansible_yaml, to_hostfile
from bootstrap.inventory.load import InventoryError, load_inventory, parse_inventory
from bootstrap.inventory.model import Inventory
from bootstrap.inventory.stack_output import from_stack_output
from bootstrap.runner.command_line import bad_input

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
def command(
    stack_output: Path | None,
    inventory_path: Path | None,
    out: Path | None,
    identity_file: str | None,
    known_hosts: str | None,
    ansible: Path | None,
    hostfile: Path | None,
    slots: int | None,
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
        else:
            assert inventory_path is not None
            inventory = load_inventory(inventory_path)
            doc = None
    except InventoryError as exc:
        bad_input(str(exc))
    if doc is not None:
        text = json.dumps(doc, indent=2) + "\n"
        if out:
            out.write_text(text)
        else:
            click.echo(text, nl=False)
    _exports(inventory, ansible, hostfile, slots)


def _exports(
    inv: Inventory, ansible: Path | None, hostfile: Path | None, slots: int | None
) -> None:
    if ansible:
        yaml_name = ansible.suffix in (".yaml", ".yml")
        ansible.write_text(to_ansible_yaml(inv) if yaml_name else to_ansible_ini(inv))
    if hostfile:
        hostfile.write_text(to_hostfile(inv, slots=slots))
