"""nccl_tests: build NVIDIA's nccl-tests at a pinned tag, with MPI, against the pinned CUDA.

Source: IMG = github.com/oracle-quickstart/oci-hpc-images @ 9263b5fa (role hpc_benchmarks).
"""

from __future__ import annotations

from bootstrap.render import plain
from bootstrap.render.package import Package, plain_packages
from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData

NCCL_TESTS_REPO = "https://github.com/NVIDIA/nccl-tests.git"
NCCL_TESTS_DIR = "/opt/nccl-tests"

# To build nccl-tests: compiler, make, git, MPI.
BUILD_PACKAGES = {
    "dnf": ("git", "make", "gcc-c++", "openmpi-devel"),
    "apt": ("git", "make", "g++", "libopenmpi-dev", "openmpi-bin"),
}


def mpi_home(family: str, cpu_arch: str) -> str:
    """MPI_HOME for nccl-tests' Makefile, where the OS's Open MPI packages put it."""
    if family == "dnf":
        return "/usr/lib64/openmpi"
    return f"/usr/lib/{cpu_arch}-linux-gnu/openmpi"


def cuda_toolkit_package(cuda: str) -> Package:
    """The toolkit that builds nccl-tests; its name pins the minor (cuda-toolkit-12-8)."""
    major, minor = cuda.split(".")[:2]
    return Package(f"cuda-toolkit-{major}-{minor}")


def build(inp: PoolInput) -> StepData:
    tag = plain.safe("tag", "software.nccl_tests", inp.config.software.nccl_tests, inp.name)
    params = {
        "tag": tag,
        "repo": NCCL_TESTS_REPO,
        "cuda": inp.cuda,
        "mpi_home": mpi_home(inp.family, inp.shape.cpu_arch),
    }
    return StepData(
        name="nccl_tests",
        action=f"build nccl-tests {tag} with MPI into {NCCL_TESTS_DIR}",
        params=params,
        packages=[*plain_packages(*BUILD_PACKAGES[inp.family]), cuda_toolkit_package(inp.cuda)],
        vars=params | {"dir": NCCL_TESTS_DIR},
    )
