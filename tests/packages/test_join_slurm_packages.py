"""join_slurm installs munge and slurmd with the real apt-get from the OS archive (Ubuntu 24.04
carries Slurm 23.11.4 as 23.11.4-1.2ubuntu5: tests/packages/nvidia_repos.yaml) and with the real
dnf from a site's own Slurm repository (EL), pinned to the upstream version whatever packaging
revision the repository gave it."""

from __future__ import annotations

import json

import pytest

from bootstrap.render.package import Package, plain_packages
from bootstrap.render.steps import join_slurm
from tests.packages import stub_repos
from tests.packages.pm_node import PmNode
from tests.render.configs import config_with, pool


def _slurm_node(tmp_path, archives, os_name: str, version: str) -> PmNode:
    config = config_with(
        pool("BM.GPU.H100.8", os_name, mode="compute_cluster", name="h100"),
        slurm={"enabled": True, "version": version},
    )
    n = PmNode(tmp_path, config)
    n.add_archive(archives[os_name])
    (n.state / "hostname").write_text("h100-0001\n")
    (n.root / "etc/munge").mkdir(parents=True)
    (n.root / "etc/munge/munge.key").write_text("k" * 1024)
    (n.root / "var/lib/gpufleet").mkdir(parents=True)
    (n.root / "var/lib/gpufleet/health.json").write_text(json.dumps({"verdict": "pass"}))
    return n


def test_slurmd_from_the_ubuntu_archive_at_the_pinned_upstream_version(tmp_path, archives):
    n = _slurm_node(tmp_path, archives, "ubuntu-24.04", "23.11.4")
    first = n.run("--only", "join_slurm")
    assert first.returncode == 0, first.stderr[-3000:]
    assert n.statuses(first)["join_slurm"]["status"] == "changed"
    assert n.installed("slurmd") == "23.11.4-1.2ubuntu5"
    assert n.installed("munge") == "0.5.15-4build1"
    before = len(n.pm_calls())
    again = n.run("--only", "join_slurm")
    assert n.statuses(again)["join_slurm"]["status"] == "ok", again.stdout
    assert [c for c in n.pm_calls()[before:] if " install " in f" {c} "] == []


def test_apt_refuses_a_slurmd_pin_without_the_debian_revision(tmp_path, archives, monkeypatch):
    """What join_slurm pinned before: the bare upstream version, which apt matches against the
    whole version string."""

    def exact(family: str, version: str) -> list[Package]:
        return [*plain_packages("munge"), Package(join_slurm.SLURMD_PACKAGE[family], version)]

    monkeypatch.setattr(join_slurm, "slurm_packages", exact)
    n = _slurm_node(tmp_path, archives, "ubuntu-24.04", "23.11.4")
    run = n.run("--only", "join_slurm")
    assert run.returncode == 4
    assert "Version '23.11.4' for 'slurmd' was not found" in run.stderr


@pytest.mark.parametrize("version", ["23.11.4", "24.05.8"])
def test_a_release_the_archive_does_not_carry_fails_the_step_naming_it(tmp_path, archives, version):
    """Ubuntu 22.04 carries Slurm 21.08 only: the pinned release must come from a site
    repository (as oci-hpc builds one); without it the step fails, never half-joins."""
    n = _slurm_node(tmp_path, archives, "ubuntu-22.04", version)
    run = n.run("--only", "join_slurm")
    assert run.returncode == 4
    assert f"Version '{version}-*' for 'slurmd' was not found" in run.stderr
    assert n.statuses(run)["join_slurm"]["status"] == "failed"
    assert n.installed("slurmd") is None


@pytest.mark.parametrize("os_name", ["oracle-linux-8", "oracle-linux-9"])
def test_slurm_slurmd_from_a_site_repository_on_oracle_linux(
    tmp_path, archives, signing_key, os_name
):
    home, fpr = signing_key
    dist = f"el{os_name[-1]}"
    site = stub_repos.build_site_slurm_repo(tmp_path / "site-slurm", dist, home, fpr)
    n = _slurm_node(tmp_path, archives, os_name, "24.05.8")
    n.add_dnf_repo("site-slurm", site, archives[os_name] / "archive-key.asc")
    first = n.run("--only", "join_slurm")
    assert first.returncode == 0, first.stderr[-3000:]
    assert n.statuses(first)["join_slurm"]["status"] == "changed"
    assert n.installed("slurm-slurmd") == f"24.05.8-1.{dist}"
    again = n.run("--only", "join_slurm")
    assert n.statuses(again)["join_slurm"]["status"] == "ok", again.stdout
