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
- TORCH_CUDA_BUILDS: the CUDA builds PyTorch publishes wheels for (download.pytorch.org/whl/cuXYZ)
  per torch minor release, from the "Release Compatibility Matrix" in pytorch/pytorch RELEASE.md
  (Stable and Experimental CUDA columns; both are published wheel indexes), each row checked
  against a second source named beside it. A wheel bundles its CUDA runtime, so a build for
  CUDA X.Y runs where the driver supports X.Y: same major as software.cuda, minor not above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Every GA row below was read in Table 3 of the CUDA 13.2 Update 2 release notes, which lists
# the GA and Update rows of every 12.x/13.x release:
#   https://docs.nvidia.com/cuda/archive/13.2.2/cuda-toolkit-release-notes/index.html
# The trailing comment on each row names that release's own archived release notes, which
# publish the same table; those per-release pages were not read row-by-row for this check
# (of these, the 12.0.1, 12.1.0, 12.2.1, 12.3.0, 12.4.0, 12.5.1, 12.6.3 and 12.8.0 pages are in
# the docs index, but only their opening sections could be read there).
_TABLE3 = "https://docs.nvidia.com/cuda/archive/13.2.2/cuda-toolkit-release-notes/index.html"
_NOTES = "NVIDIA CUDA Toolkit Release Notes, Table 3, row 'CUDA {v} GA' Linux x86_64 >={d} ({url})"
CUDA_MIN_DRIVER: dict[str, tuple[str, str]] = {
    v: (d, _NOTES.format(v=v, d=d, url=_TABLE3))
    for v, d in (
        ("12.0", "525.60.13"),  # docs.nvidia.com/cuda/archive/12.0.0/cuda-toolkit-release-notes/
        ("12.1", "530.30.02"),  # docs.nvidia.com/cuda/archive/12.1.0/cuda-toolkit-release-notes/
        ("12.2", "535.54.03"),  # docs.nvidia.com/cuda/archive/12.2.0/cuda-toolkit-release-notes/
        ("12.3", "545.23.06"),  # docs.nvidia.com/cuda/archive/12.3.0/cuda-toolkit-release-notes/
        ("12.4", "550.54.14"),  # docs.nvidia.com/cuda/archive/12.4.0/cuda-toolkit-release-notes/
        ("12.5", "555.42.02"),  # docs.nvidia.com/cuda/archive/12.5.0/cuda-toolkit-release-notes/
        ("12.6", "560.28.03"),  # docs.nvidia.com/cuda/archive/12.6.0/cuda-toolkit-release-notes/
        # 12.7: no such CUDA release (Table 3 goes 12.6 Update 3 -> 12.8 GA); left absent.
        ("12.8", "570.26"),  # docs.nvidia.com/cuda/archive/12.8.0/cuda-toolkit-release-notes/
        ("12.9", "575.51.03"),  # docs.nvidia.com/cuda/archive/12.9.0/cuda-toolkit-release-notes/
        ("13.0", "580.65.06"),  # docs.nvidia.com/cuda/archive/13.0.0/cuda-toolkit-release-notes/
    )
}
# The CUDA build of each NCCL release that NVIDIA ships with a given nvidia/cuda image
# (gitlab.com/nvidia/container-images/cuda, dist/<cuda>/<os>/{runtime,devel}/Dockerfile,
# NV_LIBNCCL_PACKAGE_VERSION) or publishes in its CUDA apt repository
# (developer.download.nvidia.com/compute/cuda/repos/<distro>/x86_64/). The gitlab Dockerfiles
# themselves were not in the searchable index; their NCCL lines were read in public copies that
# cite those paths. NVIDIA's apt repository also carries other CUDA builds of some of these
# releases (e.g. libnccl2 2.25.1-1+cuda12.2 and +cuda12.4 next to +cuda12.8, per public
# `apt-cache madison libnccl2` output), so one build per release is a conservative choice.
_IMAGES = "gitlab.com/nvidia/container-images/cuda/-/blob/master/dist/{path}/Dockerfile"
NCCL_CUDA_BUILD: dict[str, tuple[str, str]] = {
    "2.21.5": (
        "12.4",
        "libnccl2=2.21.5-1+cuda12.4, nvidia/cuda 12.4.1 images: NV_LIBNCCL_PACKAGE_VERSION "
        "2.21.5-1 ... +cuda12.4 in " + _IMAGES.format(path="12.4.1/<os>/runtime"),
    ),
    "2.23.4": (
        "12.6",
        "libnccl2=2.23.4-1+cuda12.6, nvidia/cuda 12.6.3 images: NV_LIBNCCL_PACKAGE_VERSION "
        "2.23.4-1 ... +cuda12.6 in " + _IMAGES.format(path="12.6.3/ubuntu2004/runtime"),
    ),
    "2.25.1": (
        "12.8",
        "libnccl2=2.25.1-1+cuda12.8, nvidia/cuda 12.8.0 (and 12.8.1) images: "
        "NV_LIBNCCL_DEV_PACKAGE_VERSION 2.25.1-1 ... +cuda12.8 in "
        + _IMAGES.format(path="12.8.0/rockylinux9/devel"),
    ),
    # Not shipped in an nvidia/cuda image that could be found; sourced from NVIDIA's apt repo,
    # as installed by NVIDIA's own cosmos-rl image.
    "2.26.2": (
        "12.8",
        "libnccl2=2.26.2-1+cuda12.8 in NVIDIA's CUDA apt repository "
        "(developer.download.nvidia.com/compute/cuda/repos/ubuntu2204/x86_64/), installed as "
        "NCCL_VERSION=2.26.2-1+cuda12.8 by github.com/nvidia-cosmos/cosmos-rl Dockerfile "
        "@ 91880a9f",
    ),
}

# Every row was read in the "Release Compatibility Matrix" of pytorch/pytorch RELEASE.md, in a
# stored copy of that file: a translated mirror that keeps the matrix in English (search index
# file id 66643764700). The pytorch/pytorch snapshot is too large to fetch here and the index's
# own pytorch/pytorch copy (@ aa6104e2) stops at 2.3. The comment on each row names the second
# source it was checked against ("previous-versions" = pytorch.org/get-started/previous-versions,
# the wheel install commands per release). 2.10 and later appear only in that one copy and are
# left out until read in a second source.
_MATRIX = "pytorch/pytorch RELEASE.md, Release Compatibility Matrix, row {v}: CUDA {b}"
TORCH_CUDA_BUILDS: dict[str, tuple[tuple[str, ...], str]] = {
    v: (b, _MATRIX.format(v=v, b=", ".join(b)))
    for v, b in (
        # monobase (replicate) torch_specs_dict, another copy of the same matrix (search
        # index file id 23181920076): '2.4': ['11.8', '12.1', '12.4']
        ("2.4", ("11.8", "12.1", "12.4")),
        # monobase '2.5': ['11.8', '12.1', '12.4']; previous-versions v2.5.1 lists the same
        # three CUDA versions (its conda commands)
        ("2.5", ("11.8", "12.1", "12.4")),
        # previous-versions v2.6.0: wheel index URLs whl/cu118, whl/cu124, whl/cu126
        # (added in pytorch/pytorch.github.io commit e08a598e, "[release 2.7] Update Previous
        # Versions page")
        ("2.6", ("11.8", "12.4", "12.6")),
        # moi90/pytorch_compute_capabilities table.md: pytorch-2.7.0 builds for cuda 11.8,
        # 12.6 and 12.8; nixpkgs torchvision binary-hashes.nix: 0.22.x (torch 2.7) from whl/cu128
        ("2.7", ("11.8", "12.6", "12.8")),
        # a public install of download.pytorch.org/whl/cu129/torch-2.8.0%2Bcu129 (huggingface
        # ford442/ChronoEdit torch.sh); nixpkgs torchvision 0.23.0 (torch 2.8) from whl/cu128.
        # cu126 is from the matrix alone.
        ("2.8", ("12.6", "12.8", "12.9")),
        # previous-versions v2.9.0 and v2.9.1: wheel index URLs whl/cu126, whl/cu128, whl/cu130
        ("2.9", ("12.6", "12.8", "13.0")),
    )
}


@dataclass(frozen=True)
class Software:
    driver: str
    cuda: str
    nccl: str
    torch: str | None = None  # software.training.torch for a venv; None: the image brings its own


def _nums(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text))


def _minor(cuda: str) -> str:
    parts = cuda.split(".")
    return ".".join(parts[:2])


def _runs_on(build: str, cuda: str) -> bool:
    b_major, b_minor = _nums(build)[:2]
    c_major, c_minor = _nums(cuda)[:2]
    return b_major == c_major and b_minor <= c_minor


def torch_build(torch: str, cuda: str) -> str | None:
    """The newest CUDA build of `torch` that `cuda` runs, as a wheel tag like 'cu128'; None if none.

    >>> torch_build("2.7.1", "12.9")
    'cu128'
    """
    entry = TORCH_CUDA_BUILDS.get(_minor(torch))
    fits = [b for b in entry[0] if _runs_on(b, cuda)] if entry else []
    best = max(fits, key=_nums, default=None)
    return None if best is None else "cu" + best.replace(".", "")


def torch_problems(torch: str, cuda: str) -> list[str]:
    """Why PyTorch `torch` has no wheel for CUDA `cuda` (empty if it has one)."""
    entry = TORCH_CUDA_BUILDS.get(_minor(torch))
    fits = sorted(
        (
            v
            for v, (builds, _) in TORCH_CUDA_BUILDS.items()
            if any(_runs_on(b, cuda) for b in builds)
        ),
        key=_nums,
    )
    allowed = f"{', '.join(f'{v}.x' for v in fits)}" if fits else "none listed"
    if entry is None:
        return [
            f"software.training.torch = {torch!r}: PyTorch {_minor(torch)} is not in the "
            f"known torch/CUDA matrix (known: {', '.join(TORCH_CUDA_BUILDS)}); releases with a "
            f"wheel for CUDA {cuda}: {allowed}; fix: pick one of those, or add the row with "
            "its source to TORCH_CUDA_BUILDS in policy/compat.py"
        ]
    if torch_build(torch, cuda) is None:
        return [
            f"software.training.torch = {torch!r}: PyTorch {_minor(torch)} publishes wheels "
            f"only for CUDA {', '.join(entry[0])} ({entry[1]}), none of which "
            f"software.cuda {cuda} runs (same major, minor <= {_minor(cuda)}); releases with "
            f"a wheel for CUDA {cuda}: {allowed}; fix: pick one of those or change software.cuda"
        ]
    return []


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
    elif sw.driver == "image":
        pass  # the image's driver is checked on the node against this same minimum
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
    if sw.torch is not None:
        out += torch_problems(sw.torch, sw.cuda)
    return out
