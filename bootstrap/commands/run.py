"""`gpufleet run`: one ad-hoc command on every selected node, same runner and results.

    gpufleet run --inventory inventory.json --pool train -- nvidia-smi -L
    gpufleet run --inventory inventory.json --retry-failed 20261128-142501-3fa2

The words after `--` reach the node's shell joined by spaces, as with ssh; with `--sudo` the
whole line runs under `sudo -n`. Each node's output is printed grouped, as `ansible -m shell`
does (`bootstrap.runner.shell_view`), then the recap and the run's log folder.
`--retry-failed RUN_ID` runs the same command again on the nodes of that run that did not end
ok (words given after `--` replace it).
"""

from __future__ import annotations

from typing import Any

import click

from bootstrap.inventory.model import Node
from bootstrap.runner.command_line import (
    FleetOptions,
    bad_input,
    execute,
    fleet_options,
    load_selection,
    retry_selection,
    split_names,
)
from bootstrap.runner.jobs import CommandJob
from bootstrap.runner.remote_command import command_lock


@click.command(name="run")
@fleet_options
@click.option("--sudo", is_flag=True, help="Run the whole command under `sudo -n`.")
@click.option(
    "--retry-failed",
    metavar="RUN_ID",
    help="Run again, on the nodes of that run that did not end ok, its command.",
)
@click.argument("command_words", nargs=-1)
def command(
    command_words: tuple[str, ...], sudo: bool, retry_failed: str | None, **options: Any
) -> None:
    """Run an ad-hoc command on every node."""
    opts = FleetOptions(**options)
    limit = split_names(opts.limit, "--limit")
    words = list(command_words)
    if retry_failed:
        limit, previous = retry_selection(opts, retry_failed, limit, "run")
        words = words or [str(w) for w in previous.get("command") or []]
        sudo = sudo or bool(previous.get("sudo"))
    if not words:
        bad_input("give the command after `--` (e.g. `gpufleet run ... -- nvidia-smi -L`)")
    inventory = load_selection(opts, limit)
    line = " ".join(words)
    # Its own lock: a retry never overlaps itself, and a bootstrap does not block it.
    job = CommandJob(line, sudo=sudo, lock=command_lock(line, sudo=sudo))

    def job_for(node: Node) -> CommandJob:
        return job

    params = {
        "inventory": str(opts.inventory_path.resolve()),
        "pool": opts.pool,
        "limit": limit if retry_failed else opts.limit,
        "command": words,
        "sudo": sudo,
        "concurrency": opts.concurrency,
    }
    code = execute(
        opts,
        inventory,
        job_for,
        kind="run",
        sudo="sudo -n",
        params=params,
        retry_of=retry_failed,
        show_output=True,
    )
    raise click.exceptions.Exit(code)
