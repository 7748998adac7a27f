"""nvidia_driver: the pinned NVIDIA driver (open kernel modules), persistence daemon, fabric
manager on NVSwitch boards, DCGM; nvidia_peermem loaded for GPUDirect RDMA.

Sources: IMG = github.com/oracle-quickstart/oci-hpc-images @ 9263b5fa (roles nvidia_driver,
nvidia_dcgm; the driver from NVIDIA's CUDA repository, open kernel modules); HPC@v3 =
github.com/oracle-quickstart/oci-hpc @ b5285a68 (role nvidia_peermem).
"""

from __future__ import annotations

from bootstrap.render import plain
from bootstrap.render.package import Package, PkgFamily
from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData

# IMG nvidia_dcgm: "stable" DCGM 4.4.2-1 (datacenter-gpu-manager-4-core / -cuda<major>).
DCGM_VERSION = "4.4.2"


def driver_packages(
    family: PkgFamily, driver: str, cuda_major: str, fabric_manager: bool
) -> list[Package]:
    """NVIDIA driver (open kernel modules), persistence daemon, fabric manager, DCGM."""
    branch = driver.split(".")[0]
    if family == "dnf":
        pkgs = [
            Package("nvidia-driver", driver),
            Package("nvidia-driver-cuda", driver),
            Package("kmod-nvidia-open-dkms", driver),
            Package("nvidia-persistenced", driver),
        ]
        if fabric_manager:
            pkgs.append(Package("nvidia-fabric-manager", driver))
    else:
        pkgs = [Package(f"nvidia-driver-{branch}-open", driver)]  # brings nvidia-persistenced
        if fabric_manager:
            pkgs.append(Package(f"nvidia-fabricmanager-{branch}", driver))
    pkgs += [
        Package("datacenter-gpu-manager-4-core", DCGM_VERSION),
        Package(f"datacenter-gpu-manager-4-cuda{cuda_major}", DCGM_VERSION),
    ]
    return pkgs


def build(inp: PoolInput) -> StepData:
    driver = plain.safe("version", "software.driver", inp.config.software.driver, inp.name)
    shape = inp.shape
    # NVSwitch boards need fabric manager; GB200 NVL72 racks use IMEX instead (IMG: the
    # fabricmanager set is the non-arm64 branch), which this bootstrap does not configure yet.
    fabric_manager = shape.nvswitch and not shape.needs_gpu_memory_cluster
    cuda_major = inp.cuda.split(".")[0]
    return StepData(
        name="nvidia_driver",
        action=f"install NVIDIA driver {driver}"
        + (", fabric manager" if fabric_manager else "")
        + ", DCGM; load nvidia_peermem",
        params={"driver": driver},
        packages=driver_packages(inp.os.family, driver, cuda_major, fabric_manager),
        files=[
            {
                "path": "/etc/modules-load.d/gpufleet-nvidia-peermem.conf",
                "mode": "0644",
                "content": "# GPUDirect RDMA (HPC@v3 nvidia_peermem role)\nnvidia_peermem\n",
            }
        ],
        units_on=["nvidia-persistenced"]
        + (["nvidia-fabricmanager"] if fabric_manager else [])
        + ["nvidia-dcgm"],
        modules=["nvidia_peermem"],
        vars={"driver": driver},
    )
