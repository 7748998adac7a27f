"""The whole first boot of every supported (shape, OS, training kind), with the real apt-get
and dnf: every step that installs packages installs them from repositories laid out like the
ones a node reaches (NVIDIA's CUDA repository, configured by the script itself, and the OS's own
archive, configured in the image: tests/packages/nvidia_repos.yaml), the driver asks for its
reboot, the resumed run takes every remaining step to ok, and a third run changes nothing.

The steps that need hardware (nvidia-smi, systemctl, RDMA links, mdadm, git clone, make, the
container engine, the venv's pip) stay on the recorded-output fakes of tests/node_script/fakes.py.

Rendering is cheap and a first boot is not: one representative per package plan runs whole
(REPRESENTATIVES), and `test_every_supported_combination_has_a_representative_that_runs_its_plan`
proves every other supported (shape, OS, mode, training kind) renders the same package plan and
the same enabled steps as one that runs.
"""

from __future__ import annotations

from typing import Any

import pytest

from bootstrap.render.script import build_context
from infra.config import StackConfig
from infra.shapes import CATALOG
from tests.packages.pm_node import PmNode
from tests.render.configs import config_with, container_software, pool
from tests.render.test_render_matrix import COMBOS, expected_failure

PIN = "570.172.08"  # the example stack's software.driver
KINDS = ("venv", "container")
# (shape, OS): an NVSwitch shape (fabric manager in the driver's plan) and one without, per OS;
# each runs once per training kind. These are x86_64; GB200 (aarch64, Ubuntu only) runs on its
# own below, with arm64 packages from NVIDIA's sbsa tree.
REPRESENTATIVES = [
    (shape, os_name)
    for os_name in ("ubuntu-22.04", "ubuntu-24.04", "oracle-linux-8", "oracle-linux-9")
    for shape in ("BM.GPU.H100.8", "BM.GPU.L40S.4")
]


def _config(shape: str, os_name: str, kind: str, mode: str = "cluster_network") -> StackConfig:
    extra: dict[str, Any] = {"software": container_software()} if kind == "container" else {}
    return config_with(pool(shape, os_name, mode), **extra)


def _plan(config: StackConfig) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """(enabled steps, (step, install spec) of every package those steps install)."""
    ctx = build_context(config, config.pools[0], checker=False)
    enabled = tuple(s["name"] for s in ctx["steps"] if not s["disabled"])
    specs = tuple((p["step"], p["spec"]) for p in ctx["packages"] if p["step"] in enabled)
    return enabled, specs


def test_every_supported_combination_has_a_representative_that_runs_its_plan():
    reps = {(o, k): [] for o in {o for _, o in REPRESENTATIVES} for k in KINDS}
    for shape, os_name in REPRESENTATIVES:
        for kind in KINDS:
            reps[(os_name, kind)].append(_plan(_config(shape, os_name, kind)))
    covered = 0
    for shape, os_name, mode in COMBOS:
        if expected_failure(shape, os_name, mode) is not None:
            continue
        for kind in KINDS:
            plan = _plan(_config(shape, os_name, kind, mode))
            assert plan in reps[(os_name, kind)], (shape, os_name, mode, kind, plan)
            covered += 1
    assert covered >= 2 * len(REPRESENTATIVES) * len(KINDS)


@pytest.fixture
def fresh(tmp_path, nvidia_mirror, archives):
    def make(shape: str, os_name: str, kind: str) -> PmNode:
        n = PmNode(tmp_path, _config(shape, os_name, kind))
        n.add_archive(archives[os_name])
        return n

    return make


def _installed_as_planned(n: PmNode, enabled: tuple[str, ...]) -> list[str]:
    """What the real package manager's database says is wrong with the plan (empty: none)."""
    wrong = []
    for p in n.ctx["packages"]:
        if p["step"] not in enabled:
            continue
        have = n.installed(p["name"])
        want = p["version"]
        if have is None or (want and have != want and have.split(":", 1)[-1] != want):
            wrong.append(f"{p['step']}: {p['spec']} -> {have}")
    return wrong


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("shape", "os_name"), REPRESENTATIVES)
def test_first_boot_installs_everything_with_the_real_package_manager(fresh, shape, os_name, kind):
    n = fresh(shape, os_name, kind)
    enabled, _ = _plan(_config(shape, os_name, kind))
    _boots_to_ready(n, enabled, kind)
    assert CATALOG[shape].cpu_arch == "x86_64"


GB200 = "BM.GPU.GB200.4"


@pytest.fixture
def fresh_arm(tmp_path, nvidia_mirror, sbsa_mirror, arm64_archives):
    def make(os_name: str, kind: str) -> PmNode:
        n = PmNode(tmp_path, _config(GB200, os_name, kind, "compute_cluster"))
        n.add_archive(arm64_archives[os_name])
        return n

    return make


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("os_name", CATALOG[GB200].supported_os)
def test_gb200_first_boot_installs_arm64_packages_from_the_sbsa_tree(fresh_arm, os_name, kind):
    # A Grace node: apt and dpkg resolve for arm64, NVIDIA's repository is its sbsa tree and the
    # OS archive is arm64 (ports.ubuntu.com); nothing amd64 could satisfy a dependency.
    n = fresh_arm(os_name, kind)
    assert n.repo["url"].endswith("/sbsa/"), n.repo
    enabled, _ = _plan(_config(GB200, os_name, kind, "compute_cluster"))
    _boots_to_ready(n, enabled, kind)
    archs = {
        p["name"]: n.architecture(p["name"]) for p in n.ctx["packages"] if p["step"] in enabled
    }
    assert set(archs.values()) <= {"arm64", "all"} and "arm64" in archs.values(), archs


def _boots_to_ready(n: PmNode, enabled: tuple[str, ...], kind: str) -> None:
    """Bare image -> driver installed, exit 6 (reboot) -> resumed run all ok/changed, every
    planned package installed at its planned version -> a third run installs nothing."""
    installing = {p["step"] for p in n.ctx["packages"] if p["step"] in enabled}
    assert {"nvidia_driver", "nccl", "nccl_tests", "shared_fs", "health_timer"} <= installing
    assert ("containers" if kind == "container" else "training_stack") in installing

    first = n.run()
    statuses = n.statuses(first)
    assert first.returncode == 6, first.stderr[-4000:]
    assert statuses["nvidia_repo"]["status"] == "changed", statuses["nvidia_repo"]
    assert "reboot required" in statuses["nvidia_driver"]["message"], statuses["nvidia_driver"]

    (n.root / "proc/sys/kernel/random/boot_id").write_text("second-boot\n")
    n.load_driver(PIN)
    resumed = n.run()
    statuses = n.statuses(resumed)
    assert resumed.returncode == 0, resumed.stderr[-4000:]
    bad = {s: v for s, v in statuses.items() if v["status"] not in ("ok", "changed", "skipped")}
    assert not bad, bad
    assert {s for s, v in statuses.items() if v["status"] == "skipped"} == {
        s for s in statuses if s not in enabled
    }
    assert _installed_as_planned(n, enabled) == []

    before = len(n.pm_calls())
    third = n.run()
    assert third.returncode == 0, third.stderr[-4000:]
    statuses = n.statuses(third)
    assert {statuses[s]["status"] for s in enabled} == {"ok"}, statuses
    installs = [c for c in n.pm_calls()[before:] if " install " in f" {c} "]
    assert installs == [], installs
