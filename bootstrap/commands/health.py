"""`gpufleet health`: gather node facts, run every check, gate each node, optionally NCCL.

    gpufleet health --inventory inventory.json [--nccl none|single|multi|pairwise]
                    [--ignore-check NAME]... [--json] [--facts-dir DIR]

Over SSH (the fleet runner) each node runs one combined command; with ``--facts-dir DIR`` the
outputs already collected under ``DIR/<node>/<kind>.txt`` are judged offline, with no SSH at all
(layout: `bootstrap.health.facts_dir`). Prints a verdict table (or JSON with ``--json``), writes
the JSON report (default ``health.json`` beside the inventory) and adds failed nodes to the
quarantine list (default ``quarantine.json`` beside the inventory; ``--no-quarantine`` to skip).

Exit codes: 0 every node passed · 1 a node failed or was unreachable, or a pool's NCCL run
failed · 2 bad input.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import click

from bootstrap.health.assess import NCCL_MODES, NcclMode, assess
from bootstrap.health.checks import CHECK_NAMES, NodeExpectations
from bootstrap.health.facts_dir import FactsDirSource
from bootstrap.health.findings import IGNORE_ALL
from bootstrap.health.nccl.threshold import PAIR, POOL, SINGLE
from bootstrap.health.node_report import FAIL, NodeReport
from bootstrap.health.quarantine import Quarantine, QuarantineError, default_path, load, save
from bootstrap.health.report import exit_code, render_table, to_dict
from bootstrap.inventory.model import Inventory
from bootstrap.params import FiniteRange
from bootstrap.runner.command_line import (
    FleetOptions,
    bad_input,
    fleet_options,
    load_selection,
    split_names,
)
from bootstrap.runner.settings import RunSettings
from bootstrap.runner.setup import SetupError, build_connector
from bootstrap.ssh.settings import Timeouts
from infra.shapes import CATALOG

# node-report: the --source node-report check; health-checker: the node wrapper's own finding
KNOWN_CHECKS = (*CHECK_NAMES, SINGLE, POOL, PAIR, "node-report", "health-checker")


def validate_ignore(names: tuple[str, ...]) -> list[str]:
    """Lower-cased names; a NAME whose family is no check is bad input (a typo would admit)."""
    out = []
    for name in names:
        lowered = name.strip().lower()
        if lowered != IGNORE_ALL and lowered.split(":", 1)[0] not in KNOWN_CHECKS:
            bad_input(
                f"--ignore-check {name!r}: no such check; known checks: "
                f"{', '.join(KNOWN_CHECKS)}, or 'all' (a check name may add ':subject', "
                "e.g. rdma-link:mlx5_3)"
            )
        out.append(lowered)
    return out


def expectations(inventory: Inventory) -> dict[str, NodeExpectations]:
    """Per pool, what the stack config asks beyond the shape (the inventory's pools section)."""
    return {pool: NodeExpectations(gpu_power_cap_w=cap)
            for pool, cap in inventory.pool_power_caps.items()}  # fmt: skip


def _quarantine_failed(path: Path, q: Quarantine, reports: list[NodeReport]) -> Quarantine:
    for r in reports:
        if r.status == FAIL:
            q = q.add(r.node, "failed the health gate", r.verdict.failing_checks)
    save(path, q)
    return q


@click.command(name="health")
@fleet_options
@click.option(
    "--nccl",
    type=click.Choice(NCCL_MODES),
    default="none",
    show_default=True,
    help="NCCL all_reduce: per node, per pool, or pool then pairs to find slow nodes.",
)
@click.option(
    "--ignore-check",
    "ignore",
    multiple=True,
    metavar="NAME",
    help="Downgrade this check's errors to warnings (repeatable; 'all' for every one).",
)
@click.option(
    "--facts-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Judge outputs already collected in DIR/<node>/<kind>.txt; no SSH.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the JSON report (default: health.json beside the inventory).",
)
@click.option(
    "--quarantine-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Quarantine list (default: quarantine.json beside the inventory).",
)
@click.option(
    "--source",
    type=click.Choice(["facts", "node-report"]),
    default="facts",
    show_default=True,
    help="facts: gather every fact and judge here. node-report: read each node's own timer "
    "verdict (/var/lib/gpufleet/health.json, ~6 KB), judged for shape and age.",
)
@click.option(
    "--max-report-age",
    type=FiniteRange(min=1),
    default=15.0,
    show_default=True,
    metavar="MIN",
    help="With --source node-report: a node verdict older than this fails the node.",
)
@click.option("--no-quarantine", is_flag=True, help="Do not add failed nodes to the quarantine.")
@click.option("--sudo/--no-sudo", default=True, show_default=True,
              help="Gather facts under `sudo -n` (dmesg and mlxlink need root).")  # fmt: skip
def command(
    nccl: NcclMode,
    ignore: tuple[str, ...],
    facts_dir: Path | None,
    report_path: Path | None,
    quarantine_file: Path | None,
    source: str,
    max_report_age: float,
    no_quarantine: bool,
    sudo: bool,
    **options: Any,
) -> None:
    """Check every node and admit only those with zero errors."""
    opts = FleetOptions(**options)
    ignored = validate_ignore(ignore)
    inventory = load_selection(opts, split_names(opts.limit, "--limit"))
    unknown = sorted({f"{n.name} ({n.shape or 'no shape'})" for n in inventory.nodes
                      if n.shape not in CATALOG})  # fmt: skip
    if unknown:
        bad_input(f"nodes without a catalog shape: {', '.join(unknown)}; health needs the "
                  f"shape for expected values (known: {', '.join(sorted(CATALOG))})")  # fmt: skip
    # No GPU checks exist for these shapes: a node with dead GPUs would be admitted.
    refused = sorted({str(n.shape) for n in inventory.nodes if CATALOG[str(n.shape)].pools_refused})
    if refused:
        bad_input("; ".join(f"cannot judge nodes of {s}: {CATALOG[s].pools_refused}"
                            for s in refused)
                  + "; fix: leave them out (--pool / --limit) and check them with the vendor's "
                  "tools")  # fmt: skip
    q_path = quarantine_file or default_path(opts.inventory_path)
    try:
        quarantine = load(q_path)
    except QuarantineError as exc:
        bad_input(str(exc))
    checks = None
    if source == "node-report":
        from bootstrap.health.checks.self_report import self_report_check

        checks = (self_report_check(max_report_age * 60),)
    if facts_dir is not None:
        if not facts_dir.is_dir():
            bad_input(f"--facts-dir {facts_dir}: not a folder")
        node_source: Any = FactsDirSource(facts_dir)
    else:
        node_source = _ssh_source(opts, inventory, sudo)
    try:
        reports, pools = assess(inventory.nodes, node_source, nccl=nccl, ignore=ignored,
                                quarantine=quarantine, nccl_source=node_source,
                                expectations=expectations(inventory), checks=checks)  # fmt: skip
    except ValueError as exc:
        bad_input(str(exc))
    if not no_quarantine:
        _quarantine_failed(q_path, quarantine, reports)
    params = {"inventory": str(opts.inventory_path), "nccl": nccl, "ignore_check": ignored,
              "facts_dir": str(facts_dir) if facts_dir else None, "source": source}  # fmt: skip
    doc = to_dict(reports, pools, params)
    out_path = report_path or opts.inventory_path.resolve().parent / "health.json"
    out_path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    if opts.as_json:
        click.echo(json.dumps(doc, indent=2))
    else:
        click.echo(render_table(reports, pools), nl=False)
    raise click.exceptions.Exit(exit_code(reports, pools))


def _ssh_source(opts: FleetOptions, inventory: Inventory, sudo: bool) -> Any:
    from bootstrap.health.ssh_source import SshSource

    try:
        settings = RunSettings(concurrency=opts.concurrency, deadline=opts.deadline,
                               max_fail_percent=opts.max_fail_percent)  # fmt: skip
        make = partial(build_connector, inventory, accept_new_host_keys=opts.accept_new_host_keys,
                       timeouts=Timeouts(connect=opts.connect_timeout))  # fmt: skip
        make().close()  # key and known_hosts problems are bad input, before any connection
        opts.logs_dir.mkdir(parents=True, exist_ok=True)
    except (SetupError, ValueError) as exc:
        bad_input(str(exc))
    except OSError as exc:
        bad_input(f"cannot create the logs folder {opts.logs_dir}: {exc.strerror}")
    return SshSource(inventory.nodes, make, settings, opts.logs_dir, sudo=sudo)
