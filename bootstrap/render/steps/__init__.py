"""The bootstrap steps, one module each, in run order.

Each module `<step>.py` has `build(PoolInput) -> StepData`: the step's packages (per OS), files,
units, modules and the values its bash section needs. Its bash section (check + apply) is
`templates/steps/<step>.sh.j2`; files it writes on the node are `templates/steps/<step>.*.j2`.
To change a step, these two (or three) files are the whole of it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData
from bootstrap.render.steps import (
    containers,
    gpu_power,
    health_timer,
    join_slurm,
    local_nvme,
    nccl,
    nccl_tests,
    nvidia_driver,
    nvidia_repo,
    os_tuning,
    preflight,
    rdma,
    shared_fs,
    training_stack,
)

# Step order = run order (issue 3). `preflight` only observes.
ORDER: tuple[ModuleType, ...] = (
    preflight,
    os_tuning,
    local_nvme,
    nvidia_repo,
    nvidia_driver,
    gpu_power,
    rdma,
    nccl,
    nccl_tests,
    containers,
    training_stack,
    shared_fs,
    health_timer,
    join_slurm,  # last: only a node whose GPU, RDMA and health steps passed joins Slurm
)
STEPS: tuple[str, ...] = tuple(m.__name__.rsplit(".", 1)[1] for m in ORDER)


def build_all(inp: PoolInput) -> list[StepData]:
    """Every step's data for one pool, in run order."""
    out = []
    for module in ORDER:
        build: Callable[[PoolInput], StepData] = module.build
        data = build(inp)
        assert data.name == module.__name__.rsplit(".", 1)[1], data.name
        out.append(data)
    return out
