"""training_stack: a venv with pinned torch (+ pinned packages), or a pulled training image."""

from __future__ import annotations

from bootstrap.render import plain
from bootstrap.render.errors import RenderError
from bootstrap.render.package import plain_packages
from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData
from policy import compat

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
    # The newest wheel build of this torch that the configured CUDA runs (policy/compat.py).
    # None: no such wheel, or a torch release not in the table; never guessed from software.cuda
    # (PyTorch 2.7 has no cu129 build, say). A container brings its own torch.
    build = compat.torch_build(torch, inp.cuda)
    if build is None and not containers_on:
        [problem] = compat.torch_problems(torch, inp.cuda)
        raise RenderError(f"pool {inp.name!r}: {problem}")
    python, venv_packages = PYTHON[inp.os.name]
    params = {
        "kind": sw.training.kind,
        "torch": torch,
        "packages": pip_pkgs,
        "image": image or "",
        "python": python,
        "index_url": f"https://download.pytorch.org/whl/{build}" if build else "",
    }
    return StepData(
        name="training_stack",
        action=(
            f"pull {image}"
            if containers_on
            else f"create {VENV_DIR} with torch {torch} ({build})"
            + (f" and {len(pip_pkgs)} package(s)" if pip_pkgs else "")
        ),
        params=params,
        packages=[] if containers_on else plain_packages(*venv_packages),
        vars=params | {"venv": VENV_DIR},
    )
