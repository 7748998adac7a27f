"""GPU impact per pool: nodes, GPUs, $/hour and kW before and after, and the disruption.

A resource belongs to a pool by its `gpufleet-pool` freeform tag (every pool resource carries
one), else by its parent component, else by its own name. Node counts come from the cluster
network's `instancePools[].size`, the GPU memory clusters' `size`, or the number of per-node
Instances; the shape from the instance configuration's `instanceDetails.launchDetails.shape`
(or the Instance's `shape`); prices and power from the shape catalog (infra/shapes.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bootstrap.review import model
from bootstrap.review.model import Disruption, PoolImpact
from bootstrap.review.paths import get
from infra.shapes import CATALOG

POOL_TAG = "gpufleet-pool"
_NODE_TYPES = (model.CLUSTER_NETWORK, model.GPU_MEMORY_CLUSTER, model.INSTANCE, model.INSTANCE_POOL)
_FABRIC_TYPES = (
    model.CLUSTER_NETWORK,
    model.COMPUTE_CLUSTER,
    model.GPU_MEMORY_CLUSTER,
    model.INSTANCE_POOL,
)


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    inputs: Mapping[str, Any]
    parent: str | None = None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None  # unknown (computed) or absent


def _shape(res: Resource) -> str | None:
    path = (
        "instanceDetails.launchDetails.shape"
        if res.type == model.INSTANCE_CONFIGURATION
        else "shape"
    )
    value = get(res.inputs, path)
    return value if isinstance(value, str) and value in CATALOG else None


def pool_of(res: Resource) -> str | None:
    """The pool a resource belongs to, or None when it is not part of a GPU pool."""
    tags = res.inputs.get("freeformTags")
    if isinstance(tags, Mapping) and isinstance(tags.get(POOL_TAG), str):
        return str(tags[POOL_TAG])
    gpu_typed = res.type in _FABRIC_TYPES or (
        res.type in (model.INSTANCE, model.INSTANCE_CONFIGURATION) and _shape(res) is not None
    )
    if not gpu_typed:
        return None
    return res.parent or res.name


@dataclass
class _PoolState:
    shape: str | None = None
    nodes: int | None = 0
    node_resources: int = 0
    instances: set[str] | None = None

    def add(self, res: Resource) -> None:
        shape = _shape(res)
        if shape is not None and (self.shape is None or res.type == model.INSTANCE_CONFIGURATION):
            self.shape = shape
        count: int | None = None
        if res.type == model.CLUSTER_NETWORK:
            pools = res.inputs.get("instancePools")
            sizes = [
                _int(p.get("size")) if isinstance(p, Mapping) else None
                for p in (pools if isinstance(pools, list) else [])
            ]
            count = None if None in sizes else sum(s or 0 for s in sizes)
        elif res.type in (model.GPU_MEMORY_CLUSTER, model.INSTANCE_POOL):
            count = _int(res.inputs.get("size"))
        elif res.type == model.INSTANCE:
            count = 1
            self.instances = (self.instances or set()) | {res.name}
        else:
            return
        self.node_resources += 1
        self.nodes = None if self.nodes is None or count is None else self.nodes + count


def _states(resources: Mapping[str, Resource]) -> dict[str, _PoolState]:
    out: dict[str, _PoolState] = {}
    for res in sorted(resources.values(), key=lambda r: (r.type, r.name)):
        pool = pool_of(res)
        if pool is not None:
            out.setdefault(pool, _PoolState()).add(res)
    return out


def _money(shape: str | None, nodes: int | None) -> tuple[int | None, float | None, float | None]:
    spec = CATALOG.get(shape) if shape else None
    if spec is None or nodes is None:
        return None, None, None
    usd = spec.usd_per_node_hour
    return (
        nodes * spec.gpu_count,
        None if usd is None else round(usd * nodes, 2),
        None if spec.node_max_kw is None else round(spec.node_max_kw * nodes, 3),
    )


def pool_impacts(
    before: Mapping[str, Resource],
    after: Mapping[str, Resource],
    replaced: set[str],
    touched: set[str],
) -> tuple[PoolImpact, ...]:
    """One PoolImpact per pool that a changed resource (name in `touched`) belongs to;
    `replaced` = names of replaced resources."""
    old, new = _states(before), _states(after)
    pools = {pool_of(r) for r in (*before.values(), *after.values()) if r.name in touched}
    out = []
    for pool in sorted(p for p in set(old) | set(new) if p in pools):
        b, a = old.get(pool, _PoolState()), new.get(pool, _PoolState())
        pool_res = [r for r in (*before.values(), *after.values()) if pool_of(r) == pool]
        replaced_here = {r.name: r.type for r in pool_res if r.name in replaced}
        disruption, recreated, why = _disruption(b, a, replaced_here)
        gb, ub, kb = _money(b.shape, b.nodes if b.node_resources else 0)
        ga, ua, ka = _money(a.shape, a.nodes if a.node_resources else 0)
        out.append(
            PoolImpact(
                pool=pool,
                shape_before=b.shape,
                shape_after=a.shape,
                nodes_before=b.nodes if b.node_resources else 0,
                nodes_after=a.nodes if a.node_resources else 0,
                gpus_before=gb,
                gpus_after=ga,
                usd_before=ub,
                usd_after=ua,
                kw_before=kb,
                kw_after=ka,
                disruption=disruption,
                recreated_nodes=recreated,
                why=why,
            )
        )
    return tuple(out)


def _disruption(
    b: _PoolState, a: _PoolState, replaced: dict[str, str]
) -> tuple[Disruption, int, str]:
    nb, na = (b.nodes if b.node_resources else 0), (a.nodes if a.node_resources else 0)
    if b.node_resources and not a.node_resources:
        return Disruption.DESTROY, nb or 0, "the pool's nodes are deleted"
    fabric = sorted(n for n, t in replaced.items() if t in _FABRIC_TYPES)
    if fabric and nb:
        return Disruption.RECREATE, nb, f"{', '.join(fabric)} replaced"
    nodes = sorted(
        n for n, t in replaced.items() if t == model.INSTANCE and n in (b.instances or set())
    )
    if nodes:
        return Disruption.RECREATE, len(nodes), f"{len(nodes)} node instance(s) replaced"
    if nb is not None and na is not None and na < nb:
        return Disruption.SHRINK, 0, f"{nb - na} node(s) terminated"
    if b.shape and a.shape and b.shape != a.shape:
        return Disruption.NEW_NODES, 0, f"shape {b.shape} -> {a.shape} for new nodes"
    templates = sorted(n for n, t in replaced.items() if t == model.INSTANCE_CONFIGURATION)
    if templates:
        return (
            Disruption.NEW_NODES,
            0,
            "new instance configuration: applies to nodes launched from now on",
        )
    if nb is not None and na is not None and na > nb:
        return Disruption.NEW_NODES, 0, f"{na - nb} node(s) added"
    if b.node_resources == 0 and a.node_resources:
        return Disruption.NEW_NODES, 0, "new pool"
    return Disruption.NONE, 0, ""


def impacts_from_changes(
    changes: tuple[model.ResourceChange, ...], baseline: Mapping[str, Resource] | None
) -> tuple[PoolImpact, ...]:
    """Impacts for a preview: `baseline` (a plan manifest) fills in unchanged resources."""
    before: dict[str, Resource] = dict(baseline or {})
    after: dict[str, Resource] = dict(baseline or {})
    replaced = set()
    for c in changes:
        if c.op == "create":
            before.pop(c.name, None)
        if c.op == "delete":
            after.pop(c.name, None)
        if c.old_inputs is not None and c.op != "create":
            before[c.name] = Resource(c.type, c.name, c.old_inputs, c.parent)
        if c.new_inputs is not None and c.op != "delete":
            after[c.name] = Resource(c.type, c.name, c.new_inputs, c.parent)
        if c.op in ("replace", "create-replacement", "delete-replaced"):
            replaced.add(c.name)
    return pool_impacts(before, after, replaced, {c.name for c in changes})
