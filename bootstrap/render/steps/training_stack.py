"""training_stack: a venv with pinned torch (+ pinned packages), or a pulled training image."""

from __future__ import annotations

from bootstrap.render import plain
from bootstrap.render.package import plain_packages
from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData

VENV_DIR = "/opt/gpufleet/venv"

# Interpreter for the training venv (torch 2.x needs >= 3.9) and the packages that bring it.
PYTHON = {
    # OL8's python3 is 3.6; python3.11 is in AppStream (OL 8.8+).
    "oracle-linux-8": ("python3.11", ("python3.11",)),
    "oracle-linux-9": ("python3.11", ("python3.11",)),
    "ubuntu-22.04": ("python3", ("python3-venv",)),  # 3.10
    "ubuntu-24.04": ("python3", ("python3-venv",)),  # 3.12
}


def build(inp: PoolInput) -> StepData:
    sw = inp.config.software
    torch = plain.safe("version", "software.training.torch", sw.training.torch, inp.name)
    pip_pkgs = [
        plain.safe("pip", "software.training.packages[]", p, inp.name) for p in sw.training.packages
    ]
    image = sw.training.image
    if image is not None:
        image = plain.safe("image", "software.training.image", image, inp.name)
    containers_on = sw.training.kind == "container"
    cuda_mm = "".join(inp.cuda.split(".")[:2])
    python, venv_packages = PYTHON[inp.os.name]
    params = {
        "kind": sw.training.kind,
        "torch": torch,
        "packages": pip_pkgs,
        "image": image or "",
        "python": python,
        "index_url": f"https://download.pytorch.org/whl/cu{cuda_mm}",
    }
    return StepData(
        name="training_stack",
        action=(
            f"pull {image}"
            if containers_on
            else f"create {VENV_DIR} with torch {torch} (cu{cuda_mm})"
            + (f" and {len(pip_pkgs)} package(s)" if pip_pkgs else "")
        ),
        params=params,
        packages=[] if containers_on else plain_packages(*venv_packages),
        vars=params | {"venv": VENV_DIR},
    )
