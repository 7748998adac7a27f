"""The package check of the rendered library, sourced from a real render (source-safe script).

A pin "<version>-*" (slurmd: Slurm's upstream version, any packaging revision) matches any
release of exactly that version, as `apt-get install NAME=V-*` and `dnf install NAME-V-*` do;
any other pin must match the whole version (epoch optional).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bootstrap.render import render_pool
from tests.render.configs import config_with, pool


def _has(tmp_path: Path, os_name: str, installed: str, want: str) -> bool:
    config = config_with(pool("BM.GPU.H100.8", os_name))
    script = tmp_path / "bootstrap.sh"
    script.write_text(render_pool(config, config.pools[0])["bootstrap.sh"])
    family = "dnf" if os_name.startswith("oracle") else "apt"
    probe = (
        f'source "$1" && installed=$2 && '
        f'gf::pkg::{family}::version() {{ printf "%s\\n" "$installed"; }} && '
        f'gf::pkg::has slurm "$3"'
    )
    done = subprocess.run(
        ["bash", "-c", probe, "probe", str(script), installed, want],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    return done.returncode == 0


@pytest.mark.parametrize(
    ("os_name", "installed", "want", "match"),
    [
        ("oracle-linux-9", "24.05.8-1.el9", "24.05.8-*", True),  # any release
        ("oracle-linux-9", "24.05.7-1.el9", "24.05.8-*", False),
        ("oracle-linux-9", "24.05.80-1.el9", "24.05.8-*", False),  # a prefix is not a version
        ("oracle-linux-9", "3:570.172.08-1.el9", "570.172.08-1.el9", True),  # any epoch
        ("oracle-linux-9", "3:570.172.08-2.el9", "570.172.08-1.el9", False),
        ("ubuntu-22.04", "22.05.8-4+deb12u3", "22.05.8", False),  # exact without -*
        ("ubuntu-24.04", "23.11.4-1.2ubuntu5", "23.11.4-*", True),
        ("ubuntu-22.04", "24.05.8", "24.05.8", True),
        ("ubuntu-22.04", "1:4.4.2-1", "1:4.4.2-1", True),
    ],
)
def test_pinned_version_check(
    tmp_path: Path, os_name: str, installed: str, want: str, match: bool
) -> None:
    assert _has(tmp_path, os_name, installed, want) is match
