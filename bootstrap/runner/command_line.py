"""Command-line glue shared by `gpufleet bootstrap` and `gpufleet run`: the common options,
bad input as exit 2 without a traceback, the progress bar, the recap or `--json`."""

from __future__ import annotations

import json
import re
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console

from bootstrap.inventory.model import Inventory, Node
from bootstrap.params import FiniteRange
from bootstrap.results import RunReport, exit_code
from bootstrap.runner.fleet_run import run_fleet
from bootstrap.runner.jobs import Job
from bootstrap.runner.progress import LiveProgress, print_recap
from bootstrap.runner.run_dir import load_previous, nodes_to_retry
from bootstrap.runner.settings import DEFAULT_CONCURRENCY, RunSettings
from bootstrap.runner.setup import SetupError, build_connector, select_inventory
from bootstrap.runner.shell_view import print_outputs
from bootstrap.ssh.settings import Timeouts

F = TypeVar("F", bound=Callable[..., Any])
EXIT_BAD_INPUT = 2


def bad_input(message: str) -> NoReturn:
    click.echo(f"gpufleet: error: {message}", err=True)
    raise click.exceptions.Exit(EXIT_BAD_INPUT)


def split_names(value: str | None, what: str) -> list[str] | None:
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    bad = [n for n in names if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", n)]
    if not names or bad:
        bad_input(f"{what} must be a comma-separated list of names, got {value!r}")
    return names


def fleet_options(f: F) -> F:
    options = [
        click.option(
            "--inventory",
            "inventory_path",
            required=True,
            type=click.Path(dir_okay=False, path_type=Path),
            help="JSON inventory (see `gpufleet inventory`).",
        ),
        click.option("--pool", help="Only the nodes of this pool."),
        click.option("--limit", help="Only these nodes (comma-separated names)."),
        click.option(
            "--concurrency",
            type=click.IntRange(1, 1024),
            default=DEFAULT_CONCURRENCY,
            show_default=True,
            help="Nodes in flight at once.",
        ),
        click.option(
            "--deadline",
            type=FiniteRange(min=1),
            default=3600.0,
            show_default=True,
            help="Seconds per node before it is stopped.",
        ),
        click.option(
            "--connect-timeout",
            type=FiniteRange(min=0.1),
            default=10.0,
            show_default=True,
            help="Seconds for TCP connect / bastion channel.",
        ),
        click.option(
            "--max-fail-percent",
            type=FiniteRange(0, 100),
            help="Start no new node once this % of nodes failed or were unreachable.",
        ),
        click.option(
            "--accept-new-host-keys",
            is_flag=True,
            help="Record keys of hosts not in known_hosts (changed keys are always refused).",
        ),
        click.option(
            "--logs",
            "logs_dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=Path("logs"),
            show_default=True,
            help="Folder of run folders (<run-id>/<node>.log, results.json).",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print the results as JSON."),
        # For benchmarks/fanout.py: one shared bastion transport measured fastest (see there).
        click.option("--bastion-transports", type=click.IntRange(1, 16), default=1, hidden=True),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@dataclass(frozen=True)
class FleetOptions:
    inventory_path: Path
    pool: str | None
    limit: str | None
    concurrency: int
    deadline: float
    connect_timeout: float
    max_fail_percent: float | None
    accept_new_host_keys: bool
    logs_dir: Path
    as_json: bool
    bastion_transports: int


def load_selection(opts: FleetOptions, limit: list[str] | None) -> Inventory:
    try:
        inventory = select_inventory(opts.inventory_path, pool=opts.pool, limit=limit)
    except SetupError as exc:
        bad_input(str(exc))
    if not inventory.nodes:
        bad_input("the selection has no nodes")
    return inventory


def execute(
    opts: FleetOptions,
    inventory: Inventory,
    job_for: Callable[[Node], Job],
    *,
    kind: str,
    sudo: str,
    params: dict[str, Any],
    retry_of: str | None = None,
    upload: str = "stdin",
    show_output: bool = False,
) -> int:
    """Run the jobs with the progress bar, then print (unless --json) each node's output
    grouped when `show_output`, the recap, and where the run's logs are."""
    try:
        settings = RunSettings(
            concurrency=opts.concurrency,
            deadline=opts.deadline,
            max_fail_percent=opts.max_fail_percent,
            sudo=sudo,
            upload="sftp" if upload == "sftp" else "stdin",
        )
        connector = build_connector(
            inventory,
            accept_new_host_keys=opts.accept_new_host_keys,
            timeouts=Timeouts(connect=opts.connect_timeout),
            bastion_transports=opts.bastion_transports,
        )
        opts.logs_dir.mkdir(parents=True, exist_ok=True)
    except (SetupError, ValueError) as exc:
        bad_input(str(exc))
    except OSError as exc:
        bad_input(f"cannot create the logs folder {opts.logs_dir}: {exc.strerror}")
    err = Console(stderr=True)
    out = err if opts.as_json else Console()
    with LiveProgress(len(inventory.nodes), err, enabled=err.is_terminal) as progress:
        report = run_fleet(
            inventory.nodes,
            job_for,
            connector=connector,
            settings=settings,
            logs_dir=opts.logs_dir,
            kind=kind,
            params=params,
            retry_of=retry_of,
            progress=progress,
        )
    if show_output and not opts.as_json:
        print_outputs(report.results, out)
    print_recap(report, out, inventory.pool_sizes, retry_command=_retry_command(opts, report))
    err.print(f"Logs: {opts.logs_dir / report.run_id}/ (<node>.log, results.json)", soft_wrap=True)
    if opts.as_json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    return run_exit_code(report)


def _retry_command(opts: FleetOptions, report: RunReport) -> str:
    words = ["gpufleet", report.kind, "--inventory", str(opts.inventory_path)]
    if opts.logs_dir != Path("logs"):
        words += ["--logs", str(opts.logs_dir)]
    return shlex.join([*words, "--retry-failed", report.run_id])


def retry_selection(
    opts: FleetOptions, run_id: str, limit: list[str] | None, kind: str
) -> tuple[list[str], dict[str, Any]]:
    """The nodes of run `run_id` to run again (within `limit`) and that run's parameters.
    Exits 0 saying so when every node of it ended ok or changed; bad input (exit 2) when the
    run is missing or was of another kind."""
    try:
        previous = load_previous(opts.logs_dir, run_id)
    except ValueError as exc:
        bad_input(str(exc))
    if previous.kind != kind:
        bad_input(
            f"run {run_id} was a `gpufleet {previous.kind}` run; retry it with "
            f"`gpufleet {previous.kind} --retry-failed {run_id}`"
        )
    retry = nodes_to_retry(previous)
    if not retry:
        click.echo(f"nothing to retry: every node of run {run_id} ended ok or changed")
        raise click.exceptions.Exit(0)
    return [n for n in retry if limit is None or n in limit], previous.params


def run_exit_code(report: RunReport) -> int:
    return exit_code(report.results) if report.results else 1
