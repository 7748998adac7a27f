"""What differs per OS: package manager, package names and pinned versions, service names.

Everything here is data for the templates; the script never branches on the OS name itself, it
dispatches on `pkg_family` (dnf or apt) and on the container engine.

Sources:
- IMG  github.com/oracle-quickstart/oci-hpc-images @ 9263b5fa (roles nvidia_driver, nvidia_nccl,
       nvidia_dcgm, hpc_benchmarks; driver from the NVIDIA CUDA repo, open kernel modules)
- HPC  github.com/oracle-quickstart/oci-hpc @ b5285a68 (roles nfs-client, nvidia-container)
- CTK  github.com/NVIDIA/nvidia-container-toolkit releases (v1.17.8)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bootstrap.render import nvidia_repo
from infra.shapes import OsName

PkgFamily = nvidia_repo.PkgFamily

# CTK: a pinned NVIDIA container toolkit release (never "latest"; HPC's role takes latest).
CONTAINER_TOOLKIT_VERSION = "1.17.8"
# NVIDIA Container Toolkit install guide (docs.nvidia.com/datacenter/cloud-native/
# container-toolkit/latest/install-guide.html): packages versioned "<release>-1" in both the
# deb and rpm repositories, installed together at one version (nvidia-container-toolkit
# depends on -base and libnvidia-container* at exactly its own version, the same apt trap as
# the driver's metapackage).
CONTAINER_TOOLKIT_PACKAGES = (
    "nvidia-container-toolkit",
    "nvidia-container-toolkit-base",
    "libnvidia-container-tools",
    "libnvidia-container1",
)


def container_toolkit_packages() -> list[Package]:
    """The NVIDIA container toolkit set at one exact repository version."""
    return [Package(p, f"{CONTAINER_TOOLKIT_VERSION}-1") for p in CONTAINER_TOOLKIT_PACKAGES]


@dataclass(frozen=True)
class OsSpec:
    name: OsName
    os_id: str  # /etc/os-release ID
    version: str  # VERSION_ID, or its major for Oracle Linux ("8" matches "8.10")
    family: PkgFamily
    python: str  # interpreter for the training venv (torch 2.x needs >= 3.9)
    venv_packages: tuple[str, ...]
    nfs_packages: tuple[str, ...]
    build_packages: tuple[str, ...]  # to build nccl-tests (compiler, make, git, MPI)
    mpi_home: str  # x86_64; aarch64 differs on Ubuntu (see mpi_home_for)
    container_engine: Literal["docker", "podman"]
    container_packages: tuple[str, ...]
    auto_upgrade_units: tuple[str, ...]  # timers that upgrade packages unattended
    # Interpreter for the node-side health checker (bootstrap.nodecheck): the shared fact and
    # check modules need Python >= 3.11 (StrEnum, datetime.UTC), which OL8 (3.6), OL9 (3.9) and
    # Ubuntu 22.04 (3.10) do not ship as python3; their repos carry python3.11.
    checker_python: str
    checker_packages: tuple[str, ...]


OS_SPECS: dict[str, OsSpec] = {
    s.name: s
    for s in (
        OsSpec(
            name="oracle-linux-8",
            os_id="ol",
            version="8",
            family="dnf",
            # OL8's python3 is 3.6; python3.11 is in AppStream (OL 8.8+).
            python="python3.11",
            venv_packages=("python3.11",),
            nfs_packages=("nfs-utils",),
            build_packages=("git", "make", "gcc-c++", "openmpi-devel"),
            mpi_home="/usr/lib64/openmpi",
            container_engine="podman",  # docker-ce is not in the OL repos; podman is
            container_packages=("podman",),
            auto_upgrade_units=("dnf-automatic.timer", "dnf-automatic-install.timer"),
            checker_python="python3.11",
            checker_packages=("python3.11",),
        ),
        OsSpec(
            name="oracle-linux-9",
            os_id="ol",
            version="9",
            family="dnf",
            python="python3.11",
            venv_packages=("python3.11",),
            nfs_packages=("nfs-utils",),
            build_packages=("git", "make", "gcc-c++", "openmpi-devel"),
            mpi_home="/usr/lib64/openmpi",
            container_engine="podman",
            container_packages=("podman",),
            auto_upgrade_units=("dnf-automatic.timer", "dnf-automatic-install.timer"),
            checker_python="python3.11",
            checker_packages=("python3.11",),
        ),
        OsSpec(
            name="ubuntu-22.04",
            os_id="ubuntu",
            version="22.04",
            family="apt",
            python="python3",  # 3.10
            venv_packages=("python3-venv",),
            nfs_packages=("nfs-common",),
            build_packages=("git", "make", "g++", "libopenmpi-dev", "openmpi-bin"),
            mpi_home="/usr/lib/x86_64-linux-gnu/openmpi",
            container_engine="docker",
            container_packages=("docker.io",),
            # HPC fix_broken role: disable the daily apt timers so nothing upgrades the
            # kernel or driver behind the cluster's back.
            auto_upgrade_units=("apt-daily.timer", "apt-daily-upgrade.timer"),
            checker_python="python3.11",
            checker_packages=("python3.11",),  # universe
        ),
        OsSpec(
            name="ubuntu-24.04",
            os_id="ubuntu",
            version="24.04",
            family="apt",
            python="python3",  # 3.12
            venv_packages=("python3-venv",),
            nfs_packages=("nfs-common",),
            build_packages=("git", "make", "g++", "libopenmpi-dev", "openmpi-bin"),
            mpi_home="/usr/lib/x86_64-linux-gnu/openmpi",
            container_engine="docker",
            container_packages=("docker.io",),
            auto_upgrade_units=("apt-daily.timer", "apt-daily-upgrade.timer"),
            checker_python="python3",
            checker_packages=("python3",),  # 3.12
        ),
    )
}


def mpi_home_for(spec: OsSpec, cpu_arch: str) -> str:
    if spec.family == "apt" and cpu_arch == "aarch64":
        return "/usr/lib/aarch64-linux-gnu/openmpi"
    return spec.mpi_home


@dataclass(frozen=True)
class Package:
    """One package; `version` None = whatever the image's repos carry (OS base tools only).

    A version is the repository's exact version string, epoch included where the package has
    one (apt matches `=VERSION` against the whole string: `=4.4.2-1` never finds `1:4.4.2-1`).
    On the check side a version without an epoch matches any epoch, as dnf's specs do.
    """

    name: str
    version: str | None = None

    def spec(self, family: PkgFamily) -> str:
        """The install argument: dnf takes name-[epoch:]version-release, apt name=version."""
        if self.version is None:
            return self.name
        return f"{self.name}-{self.version}" if family == "dnf" else f"{self.name}={self.version}"


def driver_packages(
    spec: OsSpec, driver: str, cuda_major: str, fabric_manager: bool
) -> list[Package]:
    """NVIDIA driver (open kernel modules), persistence daemon, fabric manager, DCGM; exact
    repository versions (bootstrap/render/nvidia_repo.py)."""
    family = spec.family
    branch = driver.split(".")[0]
    full = nvidia_repo.driver_version(family, spec.version, driver)
    fm = nvidia_repo.fabric_manager_version(family, driver)
    if family == "dnf":
        # From the module stream nvidia_repo.dnf_module_stream(driver); the packages require
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
        # The rest of the branch is held at `full` by nvidia_repo.apt_driver_pin.
        pkgs = [Package(f"nvidia-driver-{branch}-open", full)]  # brings nvidia-persistenced
        if fabric_manager:
            pkgs.append(Package(f"nvidia-fabricmanager-{branch}", fm))
    dcgm = nvidia_repo.DCGM_VERSION[family]
    pkgs += [
        Package("datacenter-gpu-manager-4-core", dcgm),
        Package(f"datacenter-gpu-manager-4-cuda{cuda_major}", dcgm),
    ]
    return pkgs


def nccl_packages(family: PkgFamily, nccl: str, cuda: str) -> list[Package]:
    """libnccl built for the configured CUDA minor (the repo names it '<ver>+cuda<maj.min>')."""
    cuda_mm = ".".join(cuda.split(".")[:2])
    full = f"{nccl}+cuda{cuda_mm}" if "-" in nccl else f"{nccl}-1+cuda{cuda_mm}"
    if family == "dnf":
        return [Package("libnccl", full), Package("libnccl-devel", full)]
    return [Package("libnccl2", full), Package("libnccl-dev", full)]


def cuda_toolkit_package(cuda: str) -> Package:
    """The toolkit that builds nccl-tests; its name pins the minor (cuda-toolkit-12-8)."""
    major, minor = cuda.split(".")[:2]
    return Package(f"cuda-toolkit-{major}-{minor}")
