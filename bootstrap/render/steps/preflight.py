"""preflight: observe only; stop unless this is the node (root, shape, OS, disk) we rendered for."""

from __future__ import annotations

from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData

MIN_FREE_GB = 20  # root file system headroom for driver/toolkit/venv installs


def build(inp: PoolInput) -> StepData:
    return StepData(
        name="preflight",
        action="stop: this node is not one this script was rendered for",
        params={"shape": inp.shape.name, "os": inp.pool.os, "min_free_gb": MIN_FREE_GB},
        vars={
            "os_id": inp.os.os_id,
            "os_version": inp.os.version,
            "min_free_kb": MIN_FREE_GB * 1024 * 1024,
        },
    )
