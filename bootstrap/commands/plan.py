"""`gpufleet plan`: what a stack would build, offline (Pulumi mock runtime, preview mode)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from bootstrap.commands._common import (
    EXIT_FAILED,
    config_errors,
    interrupt_stops,
    stack_config_option,
    stack_file,
)

# Per resource type, the inputs worth a glance in the tree (dotted paths into camelCase inputs).
KEY_INPUTS: dict[str, tuple[str, ...]] = {
    "oci:Core/vcn:Vcn": ("cidrBlocks",),
    "oci:Core/subnet:Subnet": ("cidrBlock", "prohibitPublicIpOnVnic"),
    "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule": (
        "direction",
        "protocol",
        "source",
        "destination",
        "tcpOptions.destinationPortRange.min",
    ),
    "oci:Core/instanceConfiguration:InstanceConfiguration": (
        "instanceDetails.launchDetails.shape",
        "instanceDetails.launchDetails.sourceDetails.bootVolumeSizeInGbs",
    ),
    "oci:Core/clusterNetwork:ClusterNetwork": ("instancePools.0.size",),
    "oci:Core/computeGpuMemoryCluster:ComputeGpuMemoryCluster": ("size",),
    "oci:Core/instance:Instance": ("shape", "createVnicDetails.assignPublicIp"),
    "oci:FileStorage/export:Export": ("path",),
    "oci:ObjectStorage/bucket:Bucket": ("name", "accessType", "versioning"),
}


def _dig(inputs: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(inputs, list) and part.isdigit() and int(part) < len(inputs):
            inputs = inputs[int(part)]
        elif isinstance(inputs, dict) and part in inputs:
            inputs = inputs[part]
        else:
            return None
    return inputs


def _label(res: dict[str, Any]) -> str:
    short_type = res["type"].rsplit(":", 1)[-1]
    parts = [f"[bold]{res['name']}[/] [dim]{short_type}[/]"]
    for path in KEY_INPUTS.get(res["type"], ()):
        value = _dig(res["inputs"], path)
        if value is not None:
            parts.append(f"{path.rsplit('.', 1)[-1]}={value}")
    if res["protect"]:
        parts.append("[yellow]protected[/]")
    return " ".join(parts)


def _console() -> Any:
    from rich.console import Console

    # Off a terminal rich defaults to 80 columns; logs are wide unless COLUMNS says otherwise.
    if sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit():
        return Console()
    return Console(width=140)


# Headers break where "\n" is; the numbers and the shape never wrap, the pool and the GPU model
# wrap at spaces only.
CAPACITY_COLUMNS = (
    "pool",
    "shape",
    "nodes",
    "GPUs",
    "GPU model",
    "RDMA\nTb/s/node",
    "$/hour",
    "kW",
)
_TEXT_COLUMNS = ("pool", "GPU model")
_GAP = 2  # one space of padding on each side of a column, none at the edges


def _column_min(col: str, cells: list[str]) -> int:
    """The narrowest a column gets without cutting or splitting a value."""
    words = (
        [w for c in [*col.split("\n"), *cells] for w in c.split()] if col in _TEXT_COLUMNS else []
    )
    return max(len(w) for w in [*col.split("\n"), *(words or cells)])


def _capacity_table(rows: list[list[str]], total: list[str], width: int) -> Any:
    """The capacity table, or None when even its narrowest layout is wider than `width`."""
    from rich.table import Table

    cells = [*rows, total]
    mins = [_column_min(col, [r[i] for r in cells]) for i, col in enumerate(CAPACITY_COLUMNS)]
    if sum(mins) + _GAP * (len(mins) - 1) > width:
        return None
    table = Table(title="Capacity", box=None, padding=(0, 1), pad_edge=False)
    for col, least in zip(CAPACITY_COLUMNS, mins, strict=True):
        table.add_column(
            col,
            justify="left" if col in ("pool", "shape", "GPU model") else "right",
            no_wrap=col not in _TEXT_COLUMNS,
            min_width=least,
        )
    for row in rows:
        table.add_row(*row)
    table.add_row(*total, style="bold")
    return table


def _capacity_block(row: list[str]) -> str:
    """One pool's capacity as two lines, for terminals too narrow for the table."""
    pool, shape, nodes, gpus, model, rdma, usd, kw = row
    head = f"[bold]{pool}[/]" + (f"  {shape}" if shape else "")
    facts = [f"nodes {nodes}", f"GPUs {gpus}", model, f"RDMA {rdma} Tb/s/node" if rdma else "",
             f"${usd}/hour", f"{kw} kW"]  # fmt: skip
    return head + "\n  " + " · ".join(f for f in facts if f)


def _print_human(plan: Any, console: Any) -> None:
    from rich.tree import Tree

    by_parent: dict[str | None, list[dict[str, Any]]] = {}
    for res in plan.resources:
        by_parent.setdefault(res["parent"], []).append(res)
    root = Tree(f"[bold]stack {plan.config.cluster_name}[/] ({len(plan.resources)} resources)")

    def add(node: Tree, parent: str | None) -> None:
        for res in by_parent.get(parent, []):
            add(node.add(_label(res)), res["name"])

    add(root, None)
    console.print(root)

    def fmt(v: float | None, spec: str = ",.2f") -> str:
        return "n/a" if v is None else format(v, spec)

    cap = plan.capacity
    rows = [
        [
            p.name,
            p.shape,
            f"{p.nodes - p.spares:,} + {p.spares:,}" if p.spares else f"{p.nodes:,}",
            f"{p.gpus:,}",
            p.gpu_model,
            fmt(p.rdma_tbps_per_node, ".1f"),
            fmt(p.usd_per_hour),
            fmt(p.kw, ",.1f"),
        ]
        for p in cap.pools
    ]
    total = [
        "total",
        "",
        f"{sum(p.nodes for p in cap.pools):,}",
        f"{cap.total_gpus:,}",
        "",
        "",
        fmt(cap.total_usd_per_hour),
        fmt(cap.total_kw, ",.1f"),
    ]
    table = _capacity_table(rows, total, console.width)
    if table is not None:
        console.print(table)
    else:  # too narrow for the table even with wrapping: one block per pool, nothing cut
        console.print("[italic]Capacity[/]")
        for row in [*rows, total]:
            console.print(_capacity_block(row), overflow="fold")
    if cap.power_budget_kw is not None and cap.total_kw is not None:
        share = cap.total_kw / cap.power_budget_kw
        console.print(
            f"power: {cap.total_kw:,.1f} kW of the {cap.power_budget_kw:,.1f} kW "
            f"budget ({share:.0%})"
        )
    console.print(
        "[dim]$/hour: list prices; kW: maximum node power of the matching NVIDIA "
        "reference system (see infra/shapes.py); n/a: no public source.[/]"
    )


@click.command("plan")
@stack_config_option
@click.option("--json", "as_json", is_flag=True, help="Print the deterministic JSON manifest.")
def command(stack_config: Path | None, example: bool, as_json: bool) -> None:
    """Validate a stack config and show the resources and capacity it would create.

    Runs the real Pulumi program under Pulumi's mock runtime in preview mode: no credentials,
    no network, nothing created.
    """
    with interrupt_stops("plan"):
        from bootstrap.commands import _policy
        from infra.offline.plan import run_plan

        path = stack_file(stack_config, example)
        with config_errors():
            plan = run_plan(path)
    found = _policy.violations(plan)
    if as_json:
        click.echo(plan.to_json(), nl=False)
    else:
        _print_human(plan, _console())
    # Violations go to stderr with --json so stdout stays the manifest alone.
    for violation in found:
        click.echo(f"policy: {violation}", err=as_json)
    if _policy.has_mandatory(found):
        sys.exit(EXIT_FAILED)
