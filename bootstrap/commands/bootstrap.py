"""`gpufleet bootstrap`: push each pool's script to its nodes and run it, in parallel.

    gpufleet bootstrap --inventory inventory.json --rendered out/rendered
    gpufleet bootstrap --inventory inventory.json --script bootstrap.sh --check --only a,b
    gpufleet bootstrap --inventory inventory.json --retry-failed 20261128-142501-3fa2

Exit codes: 0 every node ok/changed · 1 a node failed, was unreachable or never started ·
2 bad input (nothing was touched). A node whose script needs a reboot (its exit 6) is
"changed" with category "reboot" and listed among the nodes that need attention.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bootstrap.inventory.model import Inventory, Node
from bootstrap.runner.command_line import (
    FleetOptions,
    bad_input,
    execute,
    fleet_options,
    load_selection,
    split_names,
)
from bootstrap.runner.jobs import ScriptJob
from bootstrap.runner.run_dir import load_previous, nodes_to_retry

SCRIPT_NAME = "bootstrap.sh"


@click.command(name="bootstrap")
@fleet_options
@click.option("--only", help="Run only these steps (comma-separated); passed as --only a,b.")
@click.option("--check", is_flag=True, help="Observe only; the script reports what it would do.")
@click.option(
    "--reboot",
    is_flag=True,
    help="Let nodes reboot (once per change) when a step needs it, e.g. a new driver over a "
    "loaded one; they resume the bootstrap by themselves after the boot. Without it such a "
    "node stops and is listed with category 'reboot'.",
)
@click.option(
    "--script",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Run this script on every node instead of the rendered ones.",
)
@click.option(
    "--rendered",
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Folder of rendered scripts: <DIR>/<pool>/{SCRIPT_NAME}.",
)
@click.option(
    "--retry-failed",
    metavar="RUN_ID",
    help="Re-run only the nodes of that run that did not end ok or changed.",
)
@click.option("--no-sudo", is_flag=True, help="Run the script as the login user.")
@click.option(
    "--upload",
    type=click.Choice(["stdin", "sftp"]),
    default="stdin",
    show_default=True,
    help="How the script travels (both are atomic, mode 0700).",
)
def command(
    only: str | None,
    check: bool,
    reboot: bool,
    script: Path | None,
    rendered: Path | None,
    retry_failed: str | None,
    no_sudo: bool,
    upload: str,
    **options: Any,
) -> None:
    """Push each pool's script to its nodes over SSH and run it."""
    opts = FleetOptions(**options)
    previous_params: dict[str, Any] = {}
    limit = split_names(opts.limit, "--limit")
    if retry_failed:
        try:
            previous = load_previous(opts.logs_dir, retry_failed)
        except ValueError as exc:
            bad_input(str(exc))
        retry = nodes_to_retry(previous)
        if not retry:
            click.echo(f"nothing to retry: every node of run {retry_failed} ended ok or changed")
            raise click.exceptions.Exit(0)
        limit = [n for n in retry if limit is None or n in limit]
        previous_params = previous.params
        if script is None and rendered is None:
            script = _path_or_none(previous_params.get("script"))
            rendered = _path_or_none(previous_params.get("rendered"))
        only = only if only is not None else previous_params.get("only")
        check = check or bool(previous_params.get("check"))
    steps = split_names(only, "--only")
    inventory = load_selection(opts, limit)
    scripts = _read_scripts(inventory, script, rendered)
    if check and reboot:
        bad_input("--check observes only: it cannot be combined with --reboot")
    args: tuple[str, ...] = (
        (("--only", ",".join(steps)) if steps else ())
        + (("--check",) if check else ())
        + (("--reboot",) if reboot else ())
    )
    jobs = {pool: ScriptJob(data, args) for pool, data in scripts.items()}

    def job_for(node: Node) -> ScriptJob:
        return jobs[node.pool]

    params = {
        "inventory": str(opts.inventory_path.resolve()),
        "pool": opts.pool,
        "limit": limit,
        "only": ",".join(steps) if steps else None,
        "check": check,
        "reboot": reboot,
        "script": str(script.resolve()) if script else None,
        "rendered": str(rendered.resolve()) if rendered else None,
        "concurrency": opts.concurrency,
        "sudo": not no_sudo,
        "upload": upload,
    }
    code = execute(
        opts,
        inventory,
        job_for,
        kind="bootstrap",
        sudo="" if no_sudo else "sudo -n",
        params=params,
        retry_of=retry_failed,
        upload=upload,
    )
    raise click.exceptions.Exit(code)


def _path_or_none(value: Any) -> Path | None:
    return Path(value) if isinstance(value, str) else None


def _read_scripts(inv: Inventory, script: Path | None, rendered: Path | None) -> dict[str, bytes]:
    if (script is None) == (rendered is None):
        bad_input("give exactly one of --script FILE or --rendered DIR")
    paths = {
        pool: script if script is not None else rendered / pool / SCRIPT_NAME  # type: ignore[operator]
        for pool in inv.pools
    }
    missing = [f"{path} (pool {pool})" for pool, path in paths.items() if not path.is_file()]
    if missing:
        bad_input(
            "script not found: "
            + ", ".join(missing)
            + ("; run `gpufleet render` first" if rendered else "")
        )
    cache: dict[Path, bytes] = {}
    for path in paths.values():
        if path not in cache:
            cache[path] = path.read_bytes()
    return {pool: cache[path] for pool, path in paths.items()}
