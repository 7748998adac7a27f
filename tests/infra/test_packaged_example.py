"""The example stack ships inside the package: a wheel carries it and an installed (not
editable) gpufleet finds it outside any project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from infra.config.stack_file import EXAMPLE_STACK
from tests.infra.conftest import ROOT

NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "logs"
)


def test_the_wheel_carries_the_example_and_the_installed_command_uses_it(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=NOT_SOURCES, symlinks=True)
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "-q", "-w", str(wheels), str(src)],
                   check=True, timeout=600)  # fmt: skip
    (wheel,) = wheels.glob("gpufleet-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read("infra/Pulumi.example.yaml") == EXAMPLE_STACK.read_bytes()
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, timeout=300)  # fmt: skip
    outside = tmp_path / "outside"
    outside.mkdir()
    # The installed copy comes first on the path; dependencies come from this environment.
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("PULUMI_STACK", None)
    proc = subprocess.run(
        [sys.executable, "-m", "bootstrap", "validate"],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    used = site / "infra" / "Pulumi.example.yaml"
    assert proc.stderr.startswith(f"gpufleet: stack config {used} (no Pulumi.yaml in {outside}")
    assert proc.stdout.startswith(f"{used}: ok (1 pool(s), 2 nodes)")
