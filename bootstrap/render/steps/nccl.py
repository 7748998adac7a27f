"""nccl: libnccl pinned to the configured NCCL and CUDA minor, and /etc/nccl.conf for the shape.

Source: IMG = github.com/oracle-quickstart/oci-hpc-images @ 9263b5fa (role nvidia_nccl).
"""

from __future__ import annotations

import re

from bootstrap.render import plain
from bootstrap.render.errors import RenderError
from bootstrap.render.package import Package, PkgFamily
from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData
from infra.shapes import Shape


def nccl_env(shape: Shape) -> dict[str, str]:
    """/etc/nccl.conf for the shape (NCCLCONF via the catalog)."""
    if shape.nccl is not None:
        return shape.nccl.env()
    # No Oracle-published NCCL settings (e.g. L40S): pin NCCL to the RDMA ports only (SHAPES).
    return {"NCCL_DEBUG": "WARN", "NCCL_IB_HCA": "=" + ",".join(shape.rdma_devices)}


def nccl_conf_lines(shape: Shape) -> list[tuple[str, str]]:
    value_ok = re.compile(r"[A-Za-z0-9_=,.:/+-]*")
    out = []
    for key, value in nccl_env(shape).items():
        if not re.fullmatch(r"NCCL_[A-Z0-9_]+", key) or not value_ok.fullmatch(value):
            raise RenderError(f"{shape.name}: NCCL setting {key}={value!r} is not plain text")
        out.append((key, value))
    return out


def nccl_packages(family: PkgFamily, nccl: str, cuda: str) -> list[Package]:
    """libnccl built for the configured CUDA minor (the repo names it '<ver>+cuda<maj.min>')."""
    cuda_mm = ".".join(cuda.split(".")[:2])
    full = f"{nccl}+cuda{cuda_mm}" if "-" in nccl else f"{nccl}-1+cuda{cuda_mm}"
    if family == "dnf":
        return [Package("libnccl", full), Package("libnccl-devel", full)]
    return [Package("libnccl2", full), Package("libnccl-dev", full)]


def build(inp: PoolInput) -> StepData:
    nccl = plain.safe("version", "software.nccl", inp.config.software.nccl, inp.name)
    shape = inp.shape
    conf = (
        f"# /etc/nccl.conf for {shape.name} (gpufleet; values: shape catalog infra/shapes.py)\n"
        + "".join(f"{k}={v}\n" for k, v in nccl_conf_lines(shape))
    )
    return StepData(
        name="nccl",
        action=f"install NCCL {nccl} and write /etc/nccl.conf",
        packages=nccl_packages(inp.os.family, nccl, inp.cuda),
        files=[{"path": "/etc/nccl.conf", "mode": "0644", "content": conf}],
    )
