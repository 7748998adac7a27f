"""`gpufleet slurm`: the cluster's Slurm files, rendered from the stack config.

    gpufleet slurm render --stack-config FILE [--inventory FILE] [--facts-dir DIR]
                          [--quarantine-file FILE] --out DIR
    gpufleet slurm sync-drains --inventory FILE --controller ADDRESS [runner options]
    gpufleet slurm push-secrets --inventory FILE --munge-key FILE [--controller ADDRESS ...]
                                [--stack-config FILE --db-password-file FILE] [runner options]
    gpufleet slurm controller --stack-config FILE --inventory FILE --controller ADDRESS ...
                              [--check] [runner options]

Writes slurm.conf, gres.conf, cgroup.conf, topology.conf and slurmdbd.conf into DIR. Without an
inventory, node names are the stack's ``<pool>-0001`` names and topology.conf has one switch per
cluster network; with one, its names (the real hostnames) and its quarantine list (drained
nodes, kept in the cluster); with ``--facts-dir``, topology.conf follows each node's measured
OCI blocks (``DIR/<node>/imds-host.txt``). Exit codes: 0 written · 2 bad input (config, Slurm
not enabled, inventory, missing facts).

``sync-drains`` runs, through the same runner and bastion as every node command, a script on
the controller that drains each quarantined node (reason ``gpufleet-quarantine``) and resumes
the released ones; drains by operators and the health program are left alone
(`bootstrap.slurm.drains`). Run it after `gpufleet health` or `gpufleet quarantine`.

``push-secrets`` installs the munge key on every node and controller, and on the controllers
slurmdbd.conf with its StoragePass, as scripts through the runner (`bootstrap.slurm.secrets`):
never in user data, metadata, a command line or the run's results.

``controller`` runs the controller's setup script (`bootstrap.slurm.controller`) on each
controller, the primary first: the pinned packages, the rendered files, the accounting database
and its user (password from the slurmdbd.conf push-secrets wrote), munge, slurmdbd and slurmctld
started in order, the cluster registered; ``--check`` reports what it would do. ``render``
writes the same script as ``controller.sh``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bootstrap.commands._common import config_errors, stack_config_option, stack_file
from bootstrap.runner.command_line import FleetOptions, bad_input, fleet_options

if TYPE_CHECKING:
    from bootstrap.inventory.model import Inventory, Node
    from infra.config import StackConfig


def _address_port(address: str) -> tuple[str, int]:
    """`ADDRESS` or `ADDRESS:PORT` (IPv4 or a name; a bare IPv6 address keeps port 22)."""
    host, sep, port = address.rpartition(":")
    if not sep or ":" in host or not port.isdigit():
        return address, 22
    if not 1 <= int(port) <= 65535:
        bad_input(f"--controller {address!r}: port {port} is outside 1-65535")
    return host, int(port)


def controller_nodes(inventory: Inventory, addresses: Sequence[str], name: str) -> tuple[Node, ...]:
    """The controllers as runner targets (SSH user and bastion as for the inventory's nodes);
    each address is `ADDRESS[:PORT]`, port 22 by default."""
    from bootstrap.inventory.model import Node

    user = inventory.nodes[0].user
    names = [name] if len(addresses) == 1 else [f"{name}-{i}" for i in range(len(addresses))]
    targets = [_address_port(a) for a in addresses]
    return tuple(Node(name=n, host=host, port=port, user=user, pool="slurm-controller", shape="")
                 for n, (host, port) in zip(names, targets, strict=True))  # fmt: skip


def load_slurm_stack(path: Path) -> StackConfig:
    """The stack config, refused (exit 2) when Slurm is not enabled in it."""
    from infra.config import load_stack_file

    with config_errors():
        config = load_stack_file(path)
    if not config.slurm.enabled:
        bad_input(f"{path}: gpufleet:slurm.enabled is not true; set `gpufleet:slurm: {{enabled: "
                  "true}` in the stack config to run Slurm on this cluster")  # fmt: skip
    return config


@click.group(name="slurm")
def command() -> None:
    """Slurm on the cluster: render its config files."""


@command.command(name="render")
@stack_config_option
@click.option(
    "--inventory",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Inventory: real node names and the quarantine list beside it.",
)
@click.option(
    "--facts-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder with <node>/imds-host.txt: topology.conf from measured OCI blocks.",
)
@click.option(
    "--quarantine-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Quarantine list (default: quarantine.json beside the inventory).",
)
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder for the Slurm files.")  # fmt: skip
def render(
    stack_config: Path | None,
    example: bool,
    inventory: Path | None,
    facts_dir: Path | None,
    quarantine_file: Path | None,
    out: Path,
) -> None:
    """Render slurm.conf, gres.conf, cgroup.conf, topology.conf and slurmdbd.conf."""
    from bootstrap.commands.topology import read_placements
    from bootstrap.health.quarantine import QuarantineError, default_path, load
    from bootstrap.inventory.load import InventoryError, load_inventory
    from bootstrap.slurm import render_slurm
    from bootstrap.slurm.controller import controller_script
    from bootstrap.slurm.members import members

    config = load_slurm_stack(stack_file(stack_config, example))
    inv = None
    if inventory is not None:
        try:
            inv = load_inventory(inventory)
        except InventoryError as exc:
            bad_input(str(exc))
    q_path = quarantine_file or (default_path(inventory) if inventory is not None else None)
    try:
        quarantine = load(q_path) if q_path is not None else None
    except QuarantineError as exc:
        bad_input(str(exc))
    measured = None
    if facts_dir is not None:
        hosts = {m.name: m.name for m in members(config, inv)}
        found, problems = read_placements(facts_dir, hosts)
        if problems:
            bad_input("no topology for some nodes (collect `curl .../opc/v2/host` on them, or "
                      "leave out --facts-dir):\n  " + "\n  ".join(problems))  # fmt: skip
        measured = {p.node: p for p in found}
    files = render_slurm(config, inventory=inv, quarantine=quarantine, measured=measured)
    files["controller.sh"] = controller_script(config, files)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    nodes = members(config, inv, quarantine)
    drained = sum(1 for m in nodes if m.drain_reason)
    click.echo(f"{out}: {', '.join(files)} ({len(nodes)} nodes, {drained} drained)")


@command.command(name="sync-drains")
@fleet_options
@click.option(
    "--controller",
    required=True,
    help="The Slurm controller's private address (stack output slurm.controllers), ADDRESS[:PORT].",
)
@click.option(
    "--controller-name",
    default="slurm-controller",
    show_default=True,
    help="Its name in logs and results.",
)
@click.option("--quarantine-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Quarantine list (default: quarantine.json beside the inventory).")  # fmt: skip
def sync_drains(
    controller: str, controller_name: str, quarantine_file: Path | None, **options: Any
) -> None:
    """Drain quarantined nodes in Slurm and resume released ones (on the controller)."""
    from bootstrap.health.quarantine import QuarantineError, default_path, load
    from bootstrap.runner.command_line import execute, load_selection
    from bootstrap.runner.jobs import ScriptJob
    from bootstrap.slurm.drains import sync_drains_script

    opts = FleetOptions(**options)
    inventory = load_selection(opts, None)
    q_path = quarantine_file or default_path(opts.inventory_path)
    try:
        held = load(q_path).names
    except QuarantineError as exc:
        bad_input(str(exc))
    unknown = sorted(held - {n.name for n in inventory.nodes})
    if unknown:
        bad_input(f"{q_path} names nodes not in the inventory: {', '.join(unknown)}")
    script = sync_drains_script(controller_name, held).encode()
    ctl = controller_nodes(inventory, [controller], controller_name)[0]
    params = {"inventory": str(opts.inventory_path.resolve()), "controller": controller,
              "quarantined": sorted(held)}  # fmt: skip
    code = execute(opts, replace(inventory, nodes=(ctl,)), lambda node: ScriptJob(script),
                   kind="slurm-sync-drains", sudo="sudo -n", params=params)  # fmt: skip
    raise click.exceptions.Exit(code)


@command.command(name="push-secrets")
@fleet_options
@click.option(
    "--munge-key",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The cluster's munge key file (mode 0400 or 0600, 32 bytes or more).",
)
@click.option(
    "--controller",
    multiple=True,
    help="A Slurm controller's private address; the key goes there too.",
)
@click.option(
    "--stack-config",
    "stack_config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --db-password-file: slurmdbd.conf is rendered from this stack.",
)
@click.option(
    "--db-password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The slurm DB user's password (one line): slurmdbd.conf on the controllers.",
)
def push_secrets(
    munge_key: Path, controller: tuple[str, ...], stack_config: Path | None,
    db_password_file: Path | None, **options: Any,
) -> None:  # fmt: skip
    """Install the munge key on nodes and controllers (and slurmdbd.conf with its password)."""
    from bootstrap.runner.command_line import execute, load_selection
    from bootstrap.runner.jobs import ScriptJob
    from bootstrap.slurm.secrets import (
        MUNGE_KEY_MAX,
        MUNGE_KEY_MIN,
        MUNGE_KEY_PATH,
        SecretFileError,
        dbd_conf_with_password,
        read_secret,
        secret_script,
    )

    opts = FleetOptions(**options)
    inventory = load_selection(opts, None)
    if db_password_file is not None and (not controller or stack_config is None):
        bad_input("--db-password-file needs --controller and --stack-config (slurmdbd.conf is "
                  "rendered from the stack and written on the controllers)")  # fmt: skip
    try:
        key = read_secret(munge_key, "munge key", min_len=MUNGE_KEY_MIN, max_len=MUNGE_KEY_MAX)
        password = read_secret(db_password_file, "DB password") if db_password_file else None
    except SecretFileError as exc:
        bad_input(str(exc))
    munge = (MUNGE_KEY_PATH, key, "munge:munge", "0400")
    key_script = secret_script(munge).encode()
    scripts = {n.name: key_script for n in inventory.nodes}
    ctl_nodes = tuple(
        replace(n, name=f"slurm-controller-{i}")
        for i, n in enumerate(controller_nodes(inventory, controller, "slurm-controller"))
    )
    ctl_script = key_script
    if password is not None:
        from bootstrap.slurm import render_slurm

        assert stack_config is not None
        config = load_slurm_stack(stack_config)
        try:
            dbd = dbd_conf_with_password(render_slurm(config)["slurmdbd.conf"], password)
        except SecretFileError as exc:
            bad_input(f"{db_password_file}: {exc}")
        dbd_conf = ("/etc/slurm/slurmdbd.conf", dbd, "slurm:slurm", "0600")
        ctl_script = secret_script(munge, dbd_conf).encode()
    scripts.update({n.name: ctl_script for n in ctl_nodes})
    # Only names and addresses are recorded in the run's results, never a secret.
    params = {"inventory": str(opts.inventory_path.resolve()), "controllers": list(controller),
              "db_password": password is not None}  # fmt: skip
    code = execute(opts, replace(inventory, nodes=inventory.nodes + ctl_nodes),
                   lambda node: ScriptJob(scripts[node.name]), kind="slurm-push-secrets",
                   sudo="sudo -n", params=params)  # fmt: skip
    raise click.exceptions.Exit(code)


@command.command(name="controller")
@fleet_options
@click.option(
    "--stack-config",
    "stack_config",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The stack config the Slurm files are rendered from.",
)
@click.option(
    "--controller",
    required=True,
    multiple=True,
    help="A Slurm controller's private address (stack output slurm.controllers); the first is "
    "the primary, a second one the backup.",
)
@click.option("--check", is_flag=True, help='Only report what would change ("would ...").')
def controller(stack_config: Path, controller: tuple[str, ...], check: bool,
               **options: Any) -> None:  # fmt: skip
    """Set up the controllers: pinned packages, conf files, accounting DB, daemons, cluster."""
    from bootstrap.inventory.load import InventoryError, load_inventory
    from bootstrap.runner.command_line import execute, load_selection
    from bootstrap.runner.jobs import ScriptJob
    from bootstrap.slurm import render_slurm
    from bootstrap.slurm.conf import controllers
    from bootstrap.slurm.controller import controller_script

    opts = FleetOptions(**options)
    config = load_slurm_stack(stack_config)
    declared = [c.name for c in controllers(config)]
    if len(controller) != len(declared):
        bad_input(f"{len(controller)} --controller address(es) given, but {stack_config} declares "
                  f"{len(declared)} ({', '.join(declared)}); pass one address per controller, "
                  "the primary first (stack output slurm.controllers)")  # fmt: skip
    inventory = load_selection(opts, None)
    try:  # the whole inventory: slurm.conf lists every node, not only a --pool/--limit selection
        full = load_inventory(opts.inventory_path)
    except InventoryError as exc:
        bad_input(str(exc))
    files = render_slurm(config, inventory=full)
    ctl = controller_nodes(inventory, controller, "slurm-controller")
    # The first address is the primary (SlurmctldHost's first line); the others are backups.
    scripts = {n.name: controller_script(config, files, backup=i > 0).encode()
               for i, n in enumerate(ctl)}  # fmt: skip
    params = {"inventory": str(opts.inventory_path.resolve()), "controllers": list(controller),
              "check": check, "version": config.slurm.version}  # fmt: skip
    args = ("--check",) if check else ()
    code = execute(opts, replace(inventory, nodes=ctl),
                   lambda node: ScriptJob(scripts[node.name], args), kind="slurm-controller",
                   sudo="sudo -n", params=params, show_output=True)  # fmt: skip
    raise click.exceptions.Exit(code)
