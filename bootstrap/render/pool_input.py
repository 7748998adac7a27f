"""What every step of one pool starts from: the validated pool, its shape and its OS."""

from __future__ import annotations

from dataclasses import dataclass

from bootstrap.render import plain
from bootstrap.render.errors import RenderError
from bootstrap.render.node_os import NODE_OS, NodeOs
from infra.config import Pool, StackConfig
from infra.shapes import CATALOG, Shape


@dataclass(frozen=True)
class PoolInput:
    config: StackConfig
    pool: Pool
    name: str  # the pool name, checked plain
    cluster: str
    shape: Shape
    os: NodeOs
    cuda: str  # software.cuda, checked plain (several steps derive names from it)
    checker: bool  # embed the node health checker (False: the first-boot copy in cloud-init)

    @property
    def family(self) -> str:
        return self.os.family


def check_supported(config: StackConfig, pool: Pool) -> Shape:
    """The pool's shape, or a RenderError if the node bootstrap cannot serve it."""
    shape = CATALOG.get(pool.shape)
    if shape is None:
        raise RenderError(
            f"pool {pool.name!r}: unknown shape {pool.shape!r}; known: {', '.join(sorted(CATALOG))}"
        )
    if shape.gpu_vendor != "nvidia":
        raise RenderError(
            f"pool {pool.name!r}: shape {shape.name} ({shape.gpu_vendor.upper()} GPUs) is not "
            "supported by the node bootstrap yet: ROCm/RCCL steps are not implemented; "
            "fix: use an NVIDIA shape for this pool, or bootstrap it with Oracle's ROCm image"
        )
    if pool.os not in shape.supported_os or pool.os not in NODE_OS:
        raise RenderError(
            f"pool {pool.name!r}: OS {pool.os!r} is not supported on {shape.name}; allowed: "
            f"{', '.join(shape.supported_os)}"
        )
    if shape.nvme_count is None or shape.nvme_count == 1:
        raise RenderError(
            f"pool {pool.name!r}: {shape.name} nvme_count={shape.nvme_count}: the local_nvme "
            "step handles 0 or >= 2 data drives (RAID0); fix the shape catalog entry"
        )
    if not shape.rdma_devices or shape.rdma_mtu is None:
        raise RenderError(
            f"pool {pool.name!r}: {shape.name} has no RDMA devices/MTU in the catalog"
        )
    return shape


def pool_input(config: StackConfig, pool: Pool, *, checker: bool = True) -> PoolInput:
    """The checked starting point of every step; RenderError on anything unsupported."""
    shape = check_supported(config, pool)
    name = plain.safe("name", "pools[].name", pool.name, pool.name)
    return PoolInput(
        config=config,
        pool=pool,
        name=name,
        cluster=plain.safe("name", "cluster_name", config.cluster_name, pool.name),
        shape=shape,
        os=NODE_OS[pool.os],
        cuda=plain.safe("version", "software.cuda", config.software.cuda, name),
        checker=checker,
    )
