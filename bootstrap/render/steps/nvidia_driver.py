"""nvidia_driver: the pinned NVIDIA driver (open kernel modules), persistence daemon, fabric
manager on NVSwitch boards, DCGM; nvidia_peermem loaded for GPUDirect RDMA.

Sources: IMG = github.com/oracle-quickstart/oci-hpc-images @ 9263b5fa (roles nvidia_driver,
nvidia_dcgm; the driver from NVIDIA's CUDA repository, open kernel modules); HPC@v3 =
github.com/oracle-quickstart/oci-hpc @ b5285a68 (role nvidia_peermem). Exact repository
versions, the apt branch pin and the DNF module stream: bootstrap/render/cuda_repo.py.
"""

from __future__ import annotations

from bootstrap.render import cuda_repo, plain
from bootstrap.render.errors import RenderError
from bootstrap.render.node_os import NodeOs
from bootstrap.render.package import Package
from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData
from infra.config.model import IMAGE_DRIVER
from policy.compat import CUDA_MIN_DRIVER

APT_DRIVER_PIN = "/etc/apt/preferences.d/gpufleet-nvidia-driver"  # cuda_repo.apt_driver_pin


def driver_packages(
    node_os: NodeOs, driver: str, cuda_major: str, fabric_manager: bool
) -> list[Package]:
    """NVIDIA driver (open kernel modules), persistence daemon, fabric manager, DCGM, at their
    exact repository versions."""
    family = node_os.family
    branch = driver.split(".")[0]
    full = cuda_repo.driver_version(family, node_os.version, driver)
    fm = cuda_repo.fabric_manager_version(family, driver)
    if family == "dnf":
        # From the module stream cuda_repo.dnf_module_stream(driver); these packages require
        # their libraries at their own epoch:version-release, which dnf resolves.
        pkgs = [
            Package("nvidia-driver", full),
            Package("nvidia-driver-cuda", full),
            Package("kmod-nvidia-open-dkms", full),
            Package("nvidia-persistenced", full),
        ]
        if fabric_manager:
            pkgs.append(Package("nvidia-fabric-manager", fm))
    else:
        # The rest of the branch is held at `full` by cuda_repo.apt_driver_pin.
        pkgs = [Package(f"nvidia-driver-{branch}-open", full)]  # brings nvidia-persistenced
        if fabric_manager:
            pkgs.append(Package(f"nvidia-fabricmanager-{branch}", fm))
    dcgm = cuda_repo.DCGM_VERSION[family]
    pkgs += [
        Package("datacenter-gpu-manager-4-core", dcgm),
        Package(f"datacenter-gpu-manager-4-cuda{cuda_major}", dcgm),
    ]
    return pkgs


def min_driver(inp: PoolInput) -> str:
    """The oldest driver software.cuda runs on (policy/compat.py, from NVIDIA's release notes);
    a RenderError for a CUDA outside that matrix, as `driver: image` has nothing else to go by."""
    entry = CUDA_MIN_DRIVER.get(".".join(inp.cuda.split(".")[:2]))
    if entry is None:
        raise RenderError(
            f"pool {inp.name!r}: software.driver = 'image' needs the minimum driver of CUDA "
            f"{inp.cuda}, which policy/compat.py does not list (known: "
            f"{', '.join(CUDA_MIN_DRIVER)}); fix: pin software.driver, or add the CUDA release "
            "with its minimum driver from NVIDIA's release notes"
        )
    return entry[0]


def build(inp: PoolInput) -> StepData:
    shape = inp.shape
    # NVSwitch boards need fabric manager; GB200 NVL72 racks use IMEX instead (IMG: the
    # fabricmanager set is the non-arm64 branch), which this bootstrap does not configure yet.
    fabric_manager = shape.nvswitch and not shape.needs_gpu_memory_cluster
    cuda_major = inp.cuda.split(".")[0]
    units = (
        ["nvidia-persistenced"]
        + (["nvidia-fabricmanager"] if fabric_manager else [])
        + ["nvidia-dcgm"]
    )
    files = [
        {
            "path": "/etc/modules-load.d/gpufleet-nvidia-peermem.conf",
            "mode": "0644",
            "content": "# GPUDirect RDMA (HPC@v3 nvidia_peermem role)\nnvidia_peermem\n",
        }
    ]
    if inp.config.software.driver == IMAGE_DRIVER:
        # The image's driver (and its fabric manager, which must match it exactly) stays; the
        # node checks it runs and is new enough for software.cuda. DCGM is still pinned.
        least = min_driver(inp)
        dcgm = cuda_repo.DCGM_VERSION[inp.os.family]
        return StepData(
            name="nvidia_driver",
            action=f"keep the image's NVIDIA driver (CUDA {inp.cuda} needs >= {least}), "
            "install DCGM; load nvidia_peermem",
            params={"driver": IMAGE_DRIVER, "min_driver": least},
            packages=[
                Package("datacenter-gpu-manager-4-core", dcgm),
                Package(f"datacenter-gpu-manager-4-cuda{cuda_major}", dcgm),
            ],
            files=files,
            units_on=units,
            modules=["nvidia_peermem"],
            vars={"driver": IMAGE_DRIVER, "min_driver": least, "dnf_module": ""},
        )
    driver = plain.safe("version", "software.driver", inp.config.software.driver, inp.name)
    if inp.family == "apt":
        pin = cuda_repo.apt_driver_pin(driver)
        files.append({"path": APT_DRIVER_PIN, "mode": "0644", "content": pin})
    dnf_module = cuda_repo.dnf_module_stream(driver) if inp.family == "dnf" else ""
    return StepData(
        name="nvidia_driver",
        action=f"install NVIDIA driver {driver}"
        + (", fabric manager" if fabric_manager else "")
        + ", DCGM; load nvidia_peermem",
        params={"driver": driver, "dnf_module": dnf_module},
        packages=driver_packages(inp.os, driver, cuda_major, fabric_manager),
        files=files,
        units_on=units,
        modules=["nvidia_peermem"],
        vars={"driver": driver, "min_driver": "", "dnf_module": dnf_module},
    )
