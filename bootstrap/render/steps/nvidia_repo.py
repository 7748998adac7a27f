"""nvidia_repo: NVIDIA's CUDA package repository, which the driver, DCGM, NCCL and CUDA toolkit
come from; configured with its signing key verified against the pinned fingerprint, and left
alone when the image already carries it (OCI's GPU images do).

Where the repository is, its key and fingerprint: bootstrap/render/cuda_repo.py (sources there).
"""

from __future__ import annotations

from bootstrap.render import cuda_repo
from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData


def build(inp: PoolInput) -> StepData:
    repo = cuda_repo.cuda_repo(inp.os.family, inp.os.os_id, inp.os.version, inp.shape.cpu_arch)
    data = {
        "url": repo.url,
        "key_url": repo.key_url,
        "key_fpr": repo.key_fpr,
        "source_file": repo.source_file,
        "key_file": repo.key_file,
        "repo_id": f"cuda-{repo.distro}",
    }
    return StepData(
        name="nvidia_repo",
        action=f"configure NVIDIA's CUDA repository {repo.url} with its signing key "
        f"(fingerprint {repo.key_fpr})",
        params=data,
        vars=data,
    )
