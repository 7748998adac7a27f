"""The rendered files, read by the programs that will read them on a node: cloud-init's own
schema validator for cloud-init.yaml, and `systemd-analyze verify` for every systemd unit the
bootstrap writes (the resume unit, the health service and timer, the GPU power unit).
Both tools come from Debian (.ci/run installs cloud-init and systemd)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bootstrap.render import render_pool
from bootstrap.render.script import build_context, resume_unit
from tests.render.configs import config_with, container_software, pool

CONFIGS = {
    "h100-ubuntu-22.04-capped": lambda: config_with(
        pool("BM.GPU.H100.8", "ubuntu-22.04") | {"gpu_power_cap_w": 550}
    ),
    "h200-ol9-container": lambda: config_with(
        pool("BM.GPU.H200.8", "oracle-linux-9"), software=container_software()
    ),
}


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: apt-get install {package} (.ci/run does)"
    return path


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_cloud_init_accepts_the_rendered_user_data(tmp_path: Path, case: str):
    cloud_init = _tool("cloud-init", "cloud-init")
    config = CONFIGS[case]()
    path = tmp_path / "cloud-init.yaml"
    path.write_text(render_pool(config, config.pools[0])["cloud-init.yaml"])
    out = subprocess.run(
        [cloud_init, "schema", "--config-file", str(path)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("Valid cloud-config"), out.stdout


def test_cloud_init_schema_check_can_fail(tmp_path: Path):
    """The validator is strict where our template could go wrong: a runcmd that is not a list."""
    cloud_init = _tool("cloud-init", "cloud-init")
    path = tmp_path / "bad.yaml"
    path.write_text("#cloud-config\nruncmd: /usr/local/sbin/gpufleet-bootstrap\n")
    out = subprocess.run(
        [cloud_init, "schema", "--config-file", str(path)], capture_output=True, text=True
    )
    assert out.returncode != 0 and "runcmd" in out.stdout + out.stderr


def _verify(root: Path, unit: Path) -> str:
    """`systemd-analyze verify` of a unit inside a scratch root that has the host's system units
    (for targets such as multi-user.target) and the executables the unit names."""
    analyze = _tool("systemd-analyze", "systemd")
    out = subprocess.run(
        [analyze, "verify", "--man=no", f"--root={root}", str(unit)],
        capture_output=True,
        text=True,
    )
    return f"rc={out.returncode} {out.stdout}{out.stderr}".strip()


def _scratch_root(tmp_path: Path, executables: list[str]) -> Path:
    root = tmp_path / "root"
    # A copy (links kept) of the host's system units, and /lib -> usr/lib as on merged-/usr
    # Debian, so the absolute links among those units resolve inside the root.
    shutil.copytree(
        Path("/lib/systemd/system").resolve(), root / "usr/lib/systemd/system", symlinks=True
    )
    (root / "lib").symlink_to("usr/lib")
    for exe in executables:
        path = root / exe.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\nexit 0\n")
        path.chmod(0o755)
    return root


def test_systemd_accepts_every_unit_the_bootstrap_writes(tmp_path: Path):
    config = CONFIGS["h100-ubuntu-22.04-capped"]()
    ctx = build_context(config, config.pools[0])
    units = {f["path"]: f["content"] for f in ctx["files"] if f["path"].startswith("/etc/systemd/")}
    units["/etc/systemd/system/gpufleet-bootstrap-resume.service"] = resume_unit("gpus")
    assert len(units) == 4, sorted(units)
    root = _scratch_root(
        tmp_path,
        [
            "/usr/local/sbin/gpufleet-bootstrap",
            "/usr/local/sbin/gpufleet-health",
            "/usr/bin/nvidia-smi",
        ],
    )
    for path, text in units.items():
        (root / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (root / path.lstrip("/")).write_text(text)
    for path in units:
        assert _verify(root, root / path.lstrip("/")) == "rc=0", path


def test_systemd_verify_reports_what_it_does_not_accept(tmp_path: Path):
    root = _scratch_root(tmp_path, ["/usr/local/sbin/gpufleet-bootstrap"])
    unit = root / "etc/systemd/system/bad.service"
    unit.parent.mkdir(parents=True)
    unit.write_text(resume_unit("gpus").replace("Type=simple", "Type=exec-ish"))
    assert "Failed to parse service type" in _verify(root, unit)
    unit.write_text(resume_unit("gpus").replace("/usr/local/sbin/", "/usr/local/nowhere/"))
    assert "is not executable" in _verify(root, unit)
