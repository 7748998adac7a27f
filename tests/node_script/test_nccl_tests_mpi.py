"""nccl-tests finds the OS's Open MPI: headers and libraries linked under one MPI_HOME (EL keeps
mpi.h apart from the libraries), and the library directory baked in as the run path."""

from __future__ import annotations

import pytest

from tests.render.configs import config_with, pool

LAYOUT = {
    # EL openmpi-devel (Fedora's openmpi.spec): mpi.h apart from /usr/lib64/openmpi/lib.
    "oracle-linux-8": ("/usr/include/openmpi-x86_64", "/usr/lib64/openmpi/lib"),
    "oracle-linux-9": ("/usr/include/openmpi-x86_64", "/usr/lib64/openmpi/lib"),
    # Debian/Ubuntu libopenmpi-dev: both under /usr/lib/<arch>-linux-gnu/openmpi.
    "ubuntu-22.04": (
        "/usr/lib/x86_64-linux-gnu/openmpi/include",
        "/usr/lib/x86_64-linux-gnu/openmpi/lib",
    ),
}


@pytest.mark.parametrize("os", sorted(LAYOUT))
def test_nccl_tests_builds_against_the_os_open_mpi_layout(make_node, os: str):
    node = make_node(config_with(pool("BM.GPU.H100.8", os)))
    result = node.run("--only", "nccl_tests")
    assert result.rc == 0, result.stderr[-2000:]
    include, lib = LAYOUT[os]
    built = (node.state / "mpi_build").read_text()
    assert built == f"include={include} lib={lib} LD_RUN_PATH={lib}\n"
    assert node.run("--only", "nccl_tests").by_step()["nccl_tests"]["status"] == "ok"


def test_aarch64_ubuntu_uses_the_arm_multiarch_directory(make_node):
    node = make_node(config_with(pool("BM.GPU.GB200.4", "ubuntu-24.04", "compute_cluster")))
    assert node.run("--only", "nccl_tests").rc == 0
    built = (node.state / "mpi_build").read_text()
    assert built.startswith("include=/usr/lib/aarch64-linux-gnu/openmpi/include ")
