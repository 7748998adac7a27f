"""containers: the OS's container engine and NVIDIA's container toolkit (only when
software.training.kind is container).

Sources: HPC@v3 = github.com/oracle-quickstart/oci-hpc @ b5285a68 (role nvidia-container);
CTK = github.com/NVIDIA/nvidia-container-toolkit releases.
"""

from __future__ import annotations

from bootstrap.render.package import Package, plain_packages
from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData

# CTK: a pinned NVIDIA container toolkit release (never "latest"; HPC's role takes latest).
CONTAINER_TOOLKIT_VERSION = "1.17.8"

# docker-ce is not in the Oracle Linux repos; podman is. Ubuntu's archive carries docker.io.
ENGINE = {"dnf": "podman", "apt": "docker"}
ENGINE_PACKAGES = {"podman": ("podman",), "docker": ("docker.io",)}


def build(inp: PoolInput) -> StepData:
    engine = ENGINE[inp.family]
    on = inp.config.software.training.kind == "container"
    return StepData(
        name="containers",
        action=f"install {engine} and NVIDIA container toolkit {CONTAINER_TOOLKIT_VERSION}",
        disabled="" if on else "not enabled (software.training.kind is venv)",
        params={"engine": engine},
        packages=[
            *plain_packages(*ENGINE_PACKAGES[engine]),
            Package("nvidia-container-toolkit", CONTAINER_TOOLKIT_VERSION),
        ],
        units_on=["docker"] if engine == "docker" else [],
        vars={"engine": engine},
    )
