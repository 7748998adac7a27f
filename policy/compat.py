"""Known-compatible NVIDIA driver / CUDA / NCCL combinations, each entry with its source.

A combination outside this matrix is reported, never guessed: add the entry with its source.

- CUDA_MIN_DRIVER: NVIDIA CUDA Toolkit Release Notes, Table 3 "CUDA Toolkit and Corresponding
  Driver Versions", Linux x86_64 column, the GA row of each release
  (docs.nvidia.com/cuda/cuda-toolkit-release-notes/; archived per release under
  docs.nvidia.com/cuda/archive/<version>/cuda-toolkit-release-notes). The driver must be at
  least this for full (not minor-version-compatibility) support; newer drivers are fine (the
  driver is backward compatible, same notes section "CUDA Driver").
- NCCL_CUDA_BUILD: the CUDA build NVIDIA publishes and ships each NCCL release with, as the
  package version `libnccl2=<nccl>+cuda<X.Y>` in NVIDIA's CUDA apt repository and in the
  official nvidia/cuda images (gitlab.com/nvidia/container-images/cuda, variable
  NV_LIBNCCL_PACKAGE_VERSION). NCCL links the CUDA runtime statically, so a build for CUDA X.Y
  runs on any driver that supports X.Y: the build's major must equal the configured CUDA major
  and its minor must not exceed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NOTES = "NVIDIA CUDA Toolkit Release Notes, Table 3 (Linux x86_64, {v} GA)"
CUDA_MIN_DRIVER: dict[str, tuple[str, str]] = {
    v: (d, _NOTES.format(v=v))
    for v, d in (
        ("12.0", "525.60.13"),
        ("12.1", "530.30.02"),
        ("12.2", "535.54.03"),
        ("12.3", "545.23.06"),
        ("12.4", "550.54.14"),
        ("12.5", "555.42.02"),
        ("12.6", "560.28.03"),
        ("12.8", "570.26"),
        ("12.9", "575.51.03"),
        ("13.0", "580.65.06"),
    )
}
NCCL_CUDA_BUILD: dict[str, tuple[str, str]] = {
    "2.21.5": ("12.4", "libnccl2=2.21.5-1+cuda12.4 (nvidia/cuda 12.4.1 images)"),
    "2.23.4": (
        "12.6",
        "libnccl2=2.23.4-1+cuda12.6 (nvidia/cuda 12.6.3 images; oci-hpc @ "
        "b5285a68 Troubleshooting.md 2-node H100 run 'NCCL 2.23.4+cuda12.6')",
    ),
    "2.25.1": ("12.8", "libnccl2=2.25.1-1+cuda12.8 (nvidia/cuda 12.8.0 images)"),
    "2.26.2": ("12.8", "libnccl2=2.26.2-1+cuda12.8 (NVIDIA CUDA apt repository)"),
}


@dataclass(frozen=True)
class Software:
    driver: str
    cuda: str
    nccl: str


def _nums(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text))


def _minor(cuda: str) -> str:
    parts = cuda.split(".")
    return ".".join(parts[:2])


def problems(sw: Software) -> list[str]:
    """Why this driver / CUDA / NCCL combination is not known-compatible (empty if it is)."""
    out = []
    cuda = _minor(sw.cuda)
    entry = CUDA_MIN_DRIVER.get(cuda)
    if entry is None:
        out.append(
            f"CUDA {sw.cuda} is not in the known-compatible matrix (known: "
            f"{', '.join(CUDA_MIN_DRIVER)}); add its minimum driver from the CUDA "
            "release notes to policy/compat.py"
        )
    elif _nums(sw.driver) < _nums(entry[0]):
        out.append(
            f"driver {sw.driver} is older than CUDA {cuda} needs (>= {entry[0]}, "
            f"{entry[1]}); raise software.driver or lower software.cuda"
        )
    nccl = re.sub(r"-\d+$", "", sw.nccl)
    build = NCCL_CUDA_BUILD.get(nccl)
    if build is None:
        out.append(
            f"NCCL {sw.nccl} is not in the known-compatible matrix (known: "
            f"{', '.join(NCCL_CUDA_BUILD)}); add the CUDA build NVIDIA ships it for"
        )
    elif entry is not None:
        b_major, b_minor = _nums(build[0])[:2]
        c_major, c_minor = _nums(cuda)[:2]
        if b_major != c_major or b_minor > c_minor:
            out.append(
                f"NCCL {sw.nccl} is built for CUDA {build[0]} ({build[1]}), which "
                f"CUDA {cuda} cannot run; pick an NCCL built for CUDA {c_major}.x "
                f"<= {cuda}"
            )
    return out
