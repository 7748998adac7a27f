"""`gpufleet run`: one ad-hoc command on every selected node, same runner and results.

    gpufleet run --inventory inventory.json --pool train -- nvidia-smi -L

The words after `--` reach the login shell joined by spaces, as with ssh.
"""

from __future__ import annotations

from typing import Any

import click

from bootstrap.inventory.model import Node
from bootstrap.runner.command_line import (
    FleetOptions,
    execute,
    fleet_options,
    load_selection,
    split_names,
)
from bootstrap.runner.jobs import CommandJob


@click.command(name="run")
@fleet_options
@click.option("--sudo", is_flag=True, help="Prefix the command with `sudo -n`.")
@click.argument("command_words", nargs=-1, required=True)
def command(command_words: tuple[str, ...], sudo: bool, **options: Any) -> None:
    """Run an ad-hoc command on every node."""
    opts = FleetOptions(**options)
    inventory = load_selection(opts, split_names(opts.limit, "--limit"))
    job = CommandJob(" ".join(command_words), sudo=sudo)

    def job_for(node: Node) -> CommandJob:
        return job

    params = {
        "inventory": str(opts.inventory_path.resolve()),
        "pool": opts.pool,
        "limit": opts.limit,
        "command": list(command_words),
        "sudo": sudo,
        "concurrency": opts.concurrency,
    }
    code = execute(opts, inventory, job_for, kind="run", sudo="sudo -n", params=params)
    raise click.exceptions.Exit(code)
