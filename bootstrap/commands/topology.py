"""`gpufleet topology`: rank-ordered hostfile and Slurm topology.conf from IMDS host facts.

    gpufleet topology --facts-dir DIR [--inventory FILE] [--hostfile OUT] [--slurm OUT]
                      [--health FILE] [--spares OUT]

Reads ``DIR/<node>/imds-host.txt`` (output of ``curl .../opc/v2/host``) for every node folder,
or for the inventory's nodes when ``--inventory`` is given. Quarantined nodes (``quarantine.json``
beside the inventory, or ``--quarantine-file``) are always left out, and stderr says how many.

No node joins a hostfile before it passed the health gate: only nodes with status "pass" in the
health report (``health.json`` beside the inventory, or ``--health``) are written. Without a
report the command refuses (exit 2) unless ``--allow-unchecked`` says every non-quarantined node
may count as passing (a first test of a fresh pool, say). With an inventory, each pool it records
``nodes_requested`` N for keeps its N most compact nodes; the others are spares
(`bootstrap.topology.spares`), named in the recap on stderr and in ``--spares OUT``. Without
``--hostfile``/``--slurm`` prints the hostfile. Exit codes: 0 written · 2 bad input (missing or
unparseable facts, an unreadable quarantine list or health report, no report).

The helpers here (quarantine, health, selection recap) are shared with `gpufleet inventory`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from bootstrap.facts.base import strip_provenance
from bootstrap.facts.errors import FactParseError
from bootstrap.facts.host_topology import parse as parse_host
from bootstrap.health.quarantine import QuarantineError, default_path, load
from bootstrap.inventory.load import InventoryError, load_inventory
from bootstrap.inventory.model import Inventory
from bootstrap.runner.command_line import bad_input
from bootstrap.topology import Placement, order, place, render_hostfile, topology_conf
from bootstrap.topology.spares import HealthFileError, Selection, read_health, select_pools

FACT_FILE = "imds-host.txt"
HEALTH_FILE = "health.json"


def _say(message: str) -> None:
    click.echo(f"gpufleet: {message}", err=True)


def quarantined_names(q_path: Path | None, names: Iterable[str]) -> frozenset[str]:
    """Names among `names` on the quarantine list at `q_path`; says on stderr how many and
    where the list is. Exit 2 on an unreadable list (never read as empty)."""
    if q_path is None:
        _say("quarantine: no list (give --inventory or --quarantine-file); nothing excluded")
        return frozenset()
    try:
        listed = load(q_path).names
    except QuarantineError as exc:
        bad_input(str(exc))
    out = frozenset(n for n in names if n in listed)
    state = "" if q_path.exists() else " (no such file yet)"
    detail = f": {', '.join(sorted(out))}" if out else ""
    _say(f"quarantine: {len(out)} nodes excluded, list at {q_path}{state}{detail}")
    return out


def drop_quarantined(inv: Inventory, q_path: Path | None) -> Inventory:
    bad = quarantined_names(q_path, (n.name for n in inv.nodes))
    return inv.select(limit=[n.name for n in inv.nodes if n.name not in bad])


UNCHECKED = "--allow-unchecked"


def passing_nodes(
    health: Path, *, gated: bool = False, allow_unchecked: bool = False
) -> frozenset[str] | None:
    """Names that passed `gpufleet health` per the report at `health`; None (every node counts
    as passing) when there is none. Says which on stderr; exit 2 on an unreadable report, and,
    for a `gated` output (a hostfile), on a missing one unless `allow_unchecked`."""
    try:
        report = read_health(health)
    except HealthFileError as exc:
        bad_input(str(exc))
    passing = None if report is None else report.passing
    if passing is None and gated and not allow_unchecked:
        bad_input(
            f"no health report at {health}: a hostfile admits only nodes that passed the health "
            f"gate. Run `gpufleet health` first (or name its report with --health), or pass "
            f"{UNCHECKED} to let every non-quarantined node count as passing"
        )
    if passing is None:
        why = f" ({UNCHECKED})" if allow_unchecked else ""
        _say(f"health: no report at {health}: every non-quarantined node counts as passing{why}")
    else:
        assert report is not None
        _say(f"health: {len(passing)} nodes passed per {health}{_age(report.checked_at)}; "
             "the others are left out")  # fmt: skip
        _warn_if_stale(health, report.checked_at)
    return passing


STALE_AFTER = timedelta(hours=24)


def _age(checked_at: datetime | None) -> str:
    if checked_at is None:
        return " (no time in the report)"
    hours = (datetime.now(UTC) - checked_at).total_seconds() / 3600
    return f", checked {checked_at.isoformat()} ({hours:.1f} h ago)"


def _warn_if_stale(health: Path, checked_at: datetime | None) -> None:
    """A verdict ages: a node that passed yesterday may have lost a GPU since."""
    if checked_at is not None and datetime.now(UTC) - checked_at > STALE_AFTER:
        click.echo(
            f"gpufleet: warning: {health} is older than {STALE_AFTER.total_seconds() / 3600:.0f}"
            " h: run `gpufleet health` again before admitting nodes to a training job",
            err=True,
        )


def report_selection(selection: Selection, spares_out: Path | None) -> None:
    """Recap per pool on stderr (``pool h100: 64 active, 2 spares ready: …``), a warning per
    pool short of N, and the selection as JSON in `spares_out`."""
    for pool in selection.pools:
        _say(pool.recap())
        warning = pool.warning()
        if warning:
            click.echo(f"gpufleet: warning: {warning}", err=True)
    if spares_out is not None:
        spares_out.write_text(json.dumps(selection.to_dict(), indent=2) + "\n", encoding="utf-8")


def read_placements(facts_dir: Path, hosts: Mapping[str, str]) -> tuple[list[Placement], list[str]]:
    """Placements of `hosts` (name -> address) from ``facts_dir/<name>/imds-host.txt``, and a
    problem line per node whose fact is missing or unparseable."""
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
    return out, problems


def _placements(facts_dir: Path, hosts: Mapping[str, str]) -> list[Placement]:
    out, problems = read_placements(facts_dir, hosts)
    if problems:
        bad_input("no topology for some nodes (collect `curl .../opc/v2/host` on them):\n  "
                  + "\n  ".join(problems))  # fmt: skip
    return out


def _from_inventory(
    facts_dir: Path, inventory: Path, q_file: Path | None, health: Path | None,
    spares_out: Path | None, allow_unchecked: bool,
) -> list[Placement]:  # fmt: skip
    """Active nodes' placements: quarantine out, health gate, N most compact per pool."""
    try:
        inv = load_inventory(inventory)
    except InventoryError as exc:
        bad_input(str(exc))
    inv = drop_quarantined(inv, q_file or default_path(inventory))
    passing = passing_nodes(
        health or inventory.resolve().parent / HEALTH_FILE,
        gated=True,
        allow_unchecked=allow_unchecked,
    )
    candidates = {n.name: n.host for n in inv.nodes if passing is None or n.name in passing}
    placements = {p.node: p for p in _placements(facts_dir, candidates)}
    selection = select_pools(inv.nodes, inv.pool_sizes, placements, passing)
    report_selection(selection, spares_out)
    return [placements[name] for name in candidates if name in selection.active]


def _from_facts_dir(
    facts_dir: Path, q_file: Path | None, health: Path | None, allow_unchecked: bool
) -> list[Placement]:
    if health is None and not allow_unchecked:
        bad_input(
            "without --inventory, name the health report with --health FILE (only nodes that "
            f"passed are written), or pass {UNCHECKED} to write every non-quarantined node"
        )
    passing = passing_nodes(health, gated=True) if health is not None else None
    names = sorted(p.name for p in facts_dir.iterdir() if (p / FACT_FILE).is_file())
    bad = quarantined_names(q_file, names)
    keep = [n for n in names if n not in bad and (passing is None or n in passing)]
    return _placements(facts_dir, {n: n for n in keep})


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
@click.option(
    "--health",
    "health_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Health report: only its passing nodes are written (default: health.json beside "
    "the inventory).",
)
@click.option(
    UNCHECKED,
    "allow_unchecked",
    is_flag=True,
    help="Without a health report, let every non-quarantined node count as passing.",
)
@click.option(
    "--spares",
    "spares_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the active/spare nodes per pool here as JSON (needs --inventory).",
)
@click.option("--slots", type=click.IntRange(min=1), help="Append slots=N to hostfile lines.")
@click.option("--hostfile", "hostfile_out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--slurm", "slurm_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a Slurm topology.conf (tree plugin) here.")  # fmt: skip
def command(
    facts_dir: Path,
    inventory: Path | None,
    quarantine_file: Path | None,
    health_file: Path | None,
    allow_unchecked: bool,
    spares_out: Path | None,
    slots: int | None,
    hostfile_out: Path | None,
    slurm_out: Path | None,
) -> None:
    """Write a topology-ordered hostfile and a Slurm topology.conf."""
    if not facts_dir.is_dir():
        bad_input(f"--facts-dir {facts_dir}: not a folder")
    if inventory is not None:
        found = _from_inventory(
            facts_dir, inventory, quarantine_file, health_file, spares_out, allow_unchecked
        )
    elif spares_out:
        bad_input("--spares needs --inventory (it records each pool's N)")
    else:
        found = _from_facts_dir(facts_dir, quarantine_file, health_file, allow_unchecked)
    if not found:
        bad_input(f"no nodes left to export under {facts_dir} (all quarantined or failing?)")
    placements = order(found)
    hostfile = render_hostfile(placements, slots=slots)
    if hostfile_out:
        hostfile_out.write_text(hostfile, encoding="utf-8")
    if slurm_out:
        slurm_out.write_text(topology_conf(placements), encoding="utf-8")
    if not hostfile_out and not slurm_out:
        click.echo(hostfile, nl=False)
