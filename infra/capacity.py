"""Capacity summary of a stack config: GPUs, $/hour and kW per pool and in total (pure)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from infra.config.model import StackConfig


@dataclass(frozen=True)
class PoolCapacity:
    name: str
    shape: str
    nodes: int  # launched: requested + spares
    spares: int
    gpus: int
    gpu_model: str
    rdma_tbps_per_node: float | None
    usd_per_hour: float | None
    kw: float | None  # nodes x the shape's maximum node power; None when unsourced


@dataclass(frozen=True)
class Capacity:
    pools: tuple[PoolCapacity, ...]
    total_gpus: int
    total_usd_per_hour: float | None  # None if any pool's price is unknown
    total_kw: float | None
    power_budget_kw: float | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _total(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else round(sum(v or 0.0 for v in values), 3)


def summarize(config: StackConfig) -> Capacity:
    pools = []
    for pool in config.pools:
        shape = pool.spec
        per_node = shape.usd_per_node_hour
        pools.append(
            PoolCapacity(
                name=pool.name,
                shape=shape.name,
                nodes=pool.launched,
                spares=pool.spares,
                gpus=pool.gpus,
                gpu_model=shape.gpu_model,
                rdma_tbps_per_node=shape.rdma_tbps,
                usd_per_hour=None if per_node is None else round(per_node * pool.launched, 2),
                kw=None if pool.node_kw is None else round(pool.node_kw * pool.launched, 3),
            )
        )
    return Capacity(
        pools=tuple(pools),
        total_gpus=sum(p.gpus for p in pools),
        total_usd_per_hour=_total([p.usd_per_hour for p in pools]),
        total_kw=_total([p.kw for p in pools]),
        power_budget_kw=config.power_budget_kw,
    )
