"""The controller script's install_packages step with the REAL apt-get and dpkg, in a root made
for the test (an APT configuration and dpkg admin folder inside it; this machine's own system is
never touched), from a local repository of stand-in packages that holds the pinned Slurm
version beside Debian 12's (so the pin, not luck, picks the version).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from bootstrap.slurm import render_slurm
from bootstrap.slurm.controller import controller_script
from tests.packages.pm_node import APT_CONF  # the same APT-in-a-root configuration
from tests.slurm.test_controller import stack

NEEDED = ("apt-get", "dpkg", "dpkg-deb", "dpkg-query", "apt-ftparchive")
pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in NEEDED),
    reason="apt tools missing (.ci/run installs apt-utils and dpkg-dev)",
)
DEBIAN_12 = "22.05.8-4+deb12u3"  # Debian 12's slurm-wlm (packages.debian.org/bookworm)
STOCK = {"munge": "0.5.15-2", "mariadb-server": "1:10.11.6-0+deb12u1"}


def build_deb(repo: Path, name: str, version: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        control = Path(tmp) / "DEBIAN" / "control"
        control.parent.mkdir()
        control.write_text(f"Package: {name}\nVersion: {version}\nArchitecture: all\n"
                           "Maintainer: gpufleet tests <tests@localhost>\n"
                           f"Description: stand-in for {name}\n")  # fmt: skip
        out = repo / f"{name}_{version.replace(':', '%3a')}_all.deb"
        subprocess.run(["dpkg-deb", "-Zgzip", "--root-owner-group", "--build", tmp, str(out)],
                       check=True, capture_output=True, timeout=60)  # fmt: skip


def make_root(tmp_path: Path, pinned: str) -> tuple[Path, dict[str, str]]:
    repo, root, bin_dir = tmp_path / "repo", tmp_path / "root", tmp_path / "bin"
    repo.mkdir()
    for name, version in STOCK.items():
        build_deb(repo, name, version)
    for name in ("slurmctld", "slurmdbd", "slurm-client"):
        # a site build carries a packaging revision, as every .deb does (pin: "<version>-*")
        for version in (DEBIAN_12, f"{pinned}-1"):
            build_deb(repo, name, version)
    packages = subprocess.run(["apt-ftparchive", "packages", "."], cwd=repo, check=True,
                              capture_output=True, text=True, timeout=60).stdout  # fmt: skip
    (repo / "Packages").write_text(packages)
    for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/apt/lists/partial",
              "var/cache/apt/archives/partial", "etc/apt/sources.list.d", "etc/apt/preferences.d",
              "etc/apt/apt.conf.d", "var/log/apt"):  # fmt: skip
        (root / d).mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text("")
    (root / "etc/apt/sources.list.d/slurm.list").write_text(f"deb [trusted=yes] file://{repo} /\n")
    (tmp_path / "apt.conf").write_text(APT_CONF.format(root=root))
    bin_dir.mkdir()
    wrappers = {
        "apt-get": f'APT_CONFIG="{tmp_path}/apt.conf" exec /usr/bin/apt-get "$@"',
        "dpkg-query": f'exec /usr/bin/dpkg-query --admindir="{root}/var/lib/dpkg" "$@"',
    }
    for name, body in wrappers.items():
        (bin_dir / name).write_text(f'#!/bin/sh\necho "{name} $*" >>"{tmp_path}/pm.log"\n{body}\n')
        (bin_dir / name).chmod(0o755)
    env = {"GF_ROOT": str(root), "GF_PKG_FAMILY": "apt", "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return root, env


def run(tmp_path: Path, env: dict[str, str], *args: str) -> dict[str, str]:
    script = tmp_path / "controller.sh"
    script.write_text(controller_script(stack(), render_slurm(stack())))
    done = subprocess.run(["bash", str(script), "--only", "install_packages", *args],
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return next(s for s in map(json.loads, done.stdout.splitlines())
                if s["step"] == "install_packages")  # fmt: skip


def installed(root: Path, name: str) -> str:
    cmd = ["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-W", "-f", "${Version}", name]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout


def test_real_apt_installs_exactly_the_pinned_version(tmp_path: Path) -> None:
    pinned = stack().slurm.version
    root, env = make_root(tmp_path, pinned)
    status = run(tmp_path, env, "--check")
    assert status["status"] == "changed" and status["message"].startswith("would install")
    assert installed(root, "slurmctld") == ""

    status = run(tmp_path, env)
    assert status["status"] == "changed", status
    for name in ("slurmctld", "slurmdbd", "slurm-client"):
        assert installed(root, name) == f"{pinned}-1"  # not Debian 12's, which the repo holds
    assert installed(root, "munge") == STOCK["munge"]
    assert installed(root, "mariadb-server") == STOCK["mariadb-server"]

    calls = (tmp_path / "pm.log").read_text()
    status = run(tmp_path, env)
    assert status["status"] == "ok"
    assert "apt-get" not in (tmp_path / "pm.log").read_text()[len(calls) :]  # nothing reinstalled
