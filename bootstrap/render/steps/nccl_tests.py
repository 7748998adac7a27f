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


def mpi_layout(family: str, cpu_arch: str) -> tuple[str, str]:
    """(directory of mpi.h, directory of libmpi.so) of the OS's Open MPI development package.

    nccl-tests (src/Makefile @ v2.17.2: `-I$(MPI_HOME)/include`, `-L$(MPI_HOME)/lib`) wants
    both under one MPI_HOME; the step links them under one (see templates/steps/nccl_tests).
    - EL (Oracle Linux): openmpi-devel is configured with --prefix=%{_libdir}/openmpi and
      --includedir=%{_includedir}/openmpi-%{_arch}, libraries in %{_libdir}/openmpi/lib
      (Fedora's openmpi.spec, as imported in github.com/microsoft/azurelinux @ 8afff96d
      SPECS-EXTENDED/openmpi/openmpi.spec). That lib dir is not on the loader's path.
    - Debian/Ubuntu: libopenmpi-dev has .../<arch>-linux-gnu/openmpi/include/mpi.h and
      .../openmpi/lib/libmpi.so -> ../../libmpi.so.40 (dpkg -c libopenmpi-dev 4.1.4-3, Debian
      12; Ubuntu ships the same packaging), the library itself on the default path.
    """
    if family == "dnf":
        return f"/usr/include/openmpi-{cpu_arch}", "/usr/lib64/openmpi/lib"
    home = f"/usr/lib/{cpu_arch}-linux-gnu/openmpi"
    return f"{home}/include", f"{home}/lib"


def cuda_toolkit_package(cuda: str) -> Package:
    """The toolkit that builds nccl-tests; its name pins the minor (cuda-toolkit-12-8)."""
    major, minor = cuda.split(".")[:2]
    return Package(f"cuda-toolkit-{major}-{minor}")


def build(inp: PoolInput) -> StepData:
    tag = plain.safe("tag", "software.nccl_tests", inp.config.software.nccl_tests, inp.name)
    mpi_include, mpi_lib = mpi_layout(inp.family, inp.shape.cpu_arch)
    params = {
        "tag": tag,
        "repo": NCCL_TESTS_REPO,
        "cuda": inp.cuda,
        "mpi_include": mpi_include,
        "mpi_lib": mpi_lib,
    }
    return StepData(
        name="nccl_tests",
        action=f"build nccl-tests {tag} with MPI into {NCCL_TESTS_DIR}",
        params=params,
        packages=[*plain_packages(*BUILD_PACKAGES[inp.family]), cuda_toolkit_package(inp.cuda)],
        vars=params | {"dir": NCCL_TESTS_DIR},
    )
