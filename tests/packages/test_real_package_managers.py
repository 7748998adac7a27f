"""The rendered bootstrap installs NVIDIA's packages with the real apt-get and dnf.

Each test renders a pool's first-boot script, gives it a root made for the test and a
repository of stand-in packages laid out like NVIDIA's (names, versions with epochs,
exact-version dependencies, DNF module streams: tests/packages/nvidia_repos.yaml), and runs the
script's package steps. Whatever apt or dnf refuses fails the test: these are the consumers.
The repository is signed with a test key whose fingerprint the render pins (conftest.py), so
apt's and dnf's signature checks run as they would against NVIDIA's.
The repositories always hold a newer 570 point release (570.195.03) than the pin (570.172.08).
"""

from __future__ import annotations

import pytest

from bootstrap.render import cuda_repo
from tests.packages import stub_repos
from tests.packages.pm_node import PmNode
from tests.render.configs import config_with, example_raw, pool

OSES = ("ubuntu-22.04", "ubuntu-24.04", "oracle-linux-8", "oracle-linux-9")
PIN = "570.172.08"
NEWER = "570.195.03"


@pytest.fixture
def node(tmp_path, nvidia_mirror):
    def make(os_name: str, shape: str = "BM.GPU.H100.8", repo: bool = True) -> PmNode:
        n = PmNode(tmp_path, config_with(pool(shape, os_name)))
        if repo:
            n.add_repo()
        return n

    return make


def _pinned(n: PmNode, step: str) -> dict[str, str]:
    return {p["name"]: p["version"] for p in n.ctx["packages"] if p["step"] == step}


def _same(have: str | None, want: str) -> bool:
    """An installed version satisfies a pin; a pin without an epoch matches any epoch."""
    if have is None:
        return False
    return have == want or (":" not in want and have.split(":", 1)[-1] == want)


def test_the_repositories_hold_a_newer_point_release_than_the_pin():
    """Guards the premise of every test below: a pin must hold against a newer release."""
    data = stub_repos.facts()
    apt = {p["name"]: p["versions"] for p in data["apt"]["packages"]}
    dnf = {p["name"]: p["versions"] for p in data["dnf"]["packages"]}
    assert f"{NEWER}-0ubuntu1" in apt["libnvidia-compute-570"]
    assert f"{NEWER}-1.{{dist}}" in dnf["nvidia-driver-libs"]


@pytest.mark.parametrize("os_name", OSES)
def test_pins_install_exactly_then_the_rerun_is_a_no_op(node, os_name):
    n = node(os_name)
    nccl = n.run("--only", "nccl")
    assert nccl.returncode == 0, nccl.stderr[-3000:]
    assert n.statuses(nccl)["nccl"]["status"] == "changed"
    first = n.run("--only", "nvidia_driver")
    for step in ("nvidia_driver", "nccl"):
        for name, want in _pinned(n, step).items():
            assert _same(n.installed(name), want), (name, n.installed(name), first.stderr[-3000:])
    # The driver's whole dependency set came at the pinned version, not the newer one.
    lib = "libnvidia-compute-570" if n.family == "apt" else "nvidia-driver-libs"
    assert PIN in (n.installed(lib) or ""), first.stderr[-3000:]
    # The kernel runs no driver until a reboot: the run asks for one (exit 6) rather than pass.
    driver = n.statuses(first)["nvidia_driver"]
    assert first.returncode == 6, first.stderr[-3000:]
    assert driver["status"] == "changed" and "reboot required" in driver["message"], driver

    n.load_driver(PIN)  # after the reboot: the resumed run loads modules, starts services
    before = len(n.pm_calls())
    resumed = n.run("--only", "nvidia_driver,nccl")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    third = n.run("--only", "nvidia_driver,nccl")
    statuses = n.statuses(third)
    assert [statuses[s]["status"] for s in ("nvidia_driver", "nccl")] == ["ok", "ok"], statuses
    installs = [c for c in n.pm_calls()[before:] if " install " in f" {c} "]
    assert installs == [], installs


@pytest.mark.parametrize("os_name", ("ubuntu-22.04", "oracle-linux-9"))
def test_image_that_ships_the_pinned_driver_is_left_alone(node, os_name):
    """The image was built with the pinned driver set (as Oracle's GPU images are)."""
    n = node(os_name)
    image_set = [p["spec"] for p in n.ctx["packages"] if p["step"] in ("nvidia_driver", "nccl")]
    if n.family == "apt":
        deps = [
            f"{d}-570={PIN}-0ubuntu1"
            for d in (
                "libnvidia-compute",
                "nvidia-utils",
                "nvidia-compute-utils",
                "libnvidia-cfg1",
                "nvidia-kernel-common",
            )
        ]
        deps += [
            f"nvidia-dkms-570-open={PIN}-0ubuntu1",
            f"nvidia-kernel-source-570-open={PIN}-0ubuntu1",
        ]
        assert n.pm("apt-get", "update").returncode == 0
        built = n.pm("apt-get", "install", "-y", *image_set, *deps)
    else:
        assert n.pm("dnf", "-y", "module", "enable", "nvidia-driver:570-open").returncode == 0
        built = n.pm("dnf", "-y", "install", *image_set)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    n.load_driver(PIN)
    before = len(n.pm_calls())
    run = n.run("--only", "nvidia_driver,nccl")
    assert run.returncode == 0, run.stderr[-3000:]
    # Nothing to install; what may still change is the bootstrap's own files and units.
    assert "package" not in n.statuses(run)["nvidia_driver"]["message"], run.stdout
    installs = [c for c in n.pm_calls()[before:] if " install " in f" {c} "]
    assert installs == [], installs


# --- the pins the issue found broken: the real package managers refuse them ----------------


def test_apt_refuses_a_dcgm_pin_without_its_epoch(node, monkeypatch):
    monkeypatch.setitem(cuda_repo.DCGM_VERSION, "apt", "4.4.2-1")
    n = node("ubuntu-22.04")
    run = n.run("--only", "nvidia_driver")
    assert run.returncode == 4
    assert "Version '4.4.2-1' for 'datacenter-gpu-manager-4-core' was not found" in run.stderr


def test_apt_refuses_the_driver_metapackage_pin_alone(node, monkeypatch):
    """Without the branch pin, apt takes the newer 570 libraries and the metapackage breaks."""
    monkeypatch.setattr(cuda_repo, "apt_driver_pin", lambda driver: "")
    n = node("ubuntu-22.04")
    run = n.run("--only", "nvidia_driver")
    assert run.returncode == 4
    assert "unmet dependencies" in run.stderr
    assert f"but {NEWER}-0ubuntu1 is to be installed" in run.stderr


def test_dnf_filters_the_driver_out_without_its_module_stream(node, monkeypatch):
    monkeypatch.setattr(cuda_repo, "dnf_module_stream", lambda driver: "")
    n = node("oracle-linux-9")
    run = n.run("--only", "nvidia_driver")
    assert run.returncode == 4
    assert (
        "All matches were filtered out by modular filtering for argument: "
        "nvidia-driver-3:570.172.08-1.el9" in run.stderr
    )


# --- package sources: the nvidia_repo step ------------------------------------------------------


@pytest.mark.parametrize("os_name", OSES)
def test_fresh_image_gets_the_repository_with_a_verified_key(node, os_name):
    n = node(os_name, repo=False)
    first = n.run("--only", "nvidia_repo,nccl")
    assert first.returncode == 0, first.stderr[-3000:]
    statuses = n.statuses(first)
    assert statuses["nvidia_repo"]["status"] == "changed", statuses
    # apt verified InRelease against the keyring; dnf imported the key and checked each rpm.
    for name, want in _pinned(n, "nccl").items():
        assert _same(n.installed(name), want), (name, first.stderr[-3000:])
    source = (n.root / n.repo["source_file"].lstrip("/")).read_text()
    if n.family == "apt":
        assert f"[signed-by={n.root}{n.repo['key_file']}]" in source
        assert (n.root / n.repo["key_file"].lstrip("/")).read_bytes()[:1] != b"-"  # dearmored
    else:
        assert "gpgcheck=1" in source and f"gpgkey=file://{n.root}{n.repo['key_file']}" in source
        assert n.installed("gpg-pubkey") is not None
    again = n.run("--only", "nvidia_repo")
    assert n.statuses(again)["nvidia_repo"]["status"] == "ok"


@pytest.mark.parametrize("os_name", ("ubuntu-24.04", "oracle-linux-8"))
def test_image_that_has_the_repository_is_left_alone(node, os_name):
    n = node(os_name)
    run = n.run("--only", "nvidia_repo")
    assert run.returncode == 0
    line = n.statuses(run)["nvidia_repo"]
    assert line["status"] == "ok" and "image-cuda" in line["message"], line
    assert not (n.root / n.repo["source_file"].lstrip("/")).exists()


@pytest.mark.parametrize("os_name", ("ubuntu-22.04", "oracle-linux-9"))
def test_a_key_with_another_fingerprint_is_refused(node, os_name, monkeypatch):
    served = cuda_repo.APT_KEY_FPR if os_name.startswith("ubuntu") else cuda_repo.DNF_KEY_FPR
    monkeypatch.setattr(cuda_repo, "APT_KEY_FPR", "EB693B3035CD5710E231E123A4B469963BF863CC")
    monkeypatch.setattr(cuda_repo, "DNF_KEY_FPR", "610C7B14E068A878070DA4E99CD0A493D42D0685")
    n = node(os_name, repo=False)
    run = n.run("--only", "nvidia_repo")
    assert run.returncode == 4
    line = n.statuses(run)["nvidia_repo"]
    assert f"has fingerprint {served}, want" in line["message"], line
    assert "not trusting it" in line["message"]
    assert not (n.root / n.repo["source_file"].lstrip("/")).exists()
    assert not (n.root / n.repo["key_file"].lstrip("/")).exists()


def test_a_node_without_internet_says_why_the_repository_cannot_be_configured(
    node, monkeypatch, tmp_path
):
    monkeypatch.setattr(cuda_repo, "BASE_URL", f"file://{tmp_path}/offline")
    n = node("ubuntu-22.04", repo=False)
    run = n.run("--only", "nvidia_repo")
    assert run.returncode == 4
    message = n.statuses(run)["nvidia_repo"]["message"]
    assert message.startswith("cannot download NVIDIA's signing key"), message
    assert "an image that already configures the CUDA repository" in message


# --- driver: image ----------------------------------------------------------------------------


def _image_driver_node(tmp_path, os_name: str) -> PmNode:
    raw = example_raw()["software"] | {"driver": "image"}
    n = PmNode(tmp_path, config_with(pool("BM.GPU.H100.8", os_name), software=raw))
    n.add_repo()
    return n


@pytest.mark.parametrize("os_name", ("ubuntu-22.04", "oracle-linux-9"))
def test_driver_image_keeps_the_image_driver_when_new_enough(tmp_path, nvidia_mirror, os_name):
    n = _image_driver_node(tmp_path, os_name)
    n.load_driver("580.95.05")  # what the image ships, newer than any pin; CUDA 12.8 needs 570.26
    run = n.run("--only", "nvidia_driver")
    assert run.returncode == 0, run.stderr[-3000:]
    line = n.statuses(run)["nvidia_driver"]
    assert line["status"] == "changed" and line["message"].startswith("keep the image's"), line
    # DCGM came from the repository at its pin; no driver package was asked for.
    assert _same(n.installed("datacenter-gpu-manager-4-core"), cuda_repo.DCGM_VERSION[n.family])
    installs = " ".join(c for c in n.pm_calls() if " install " in f" {c} ")
    assert "nvidia-driver" not in installs and "fabric" not in installs, installs
    again = n.run("--only", "nvidia_driver")
    line = n.statuses(again)["nvidia_driver"]
    assert line["status"] == "ok", line
    assert line["message"].startswith("the image's driver 580.95.05 (>= 570.26) loaded"), line


def test_driver_image_refuses_a_driver_too_old_for_cuda(tmp_path, nvidia_mirror):
    n = _image_driver_node(tmp_path, "ubuntu-22.04")
    n.load_driver("560.35.03")
    run = n.run("--only", "nvidia_driver")
    assert run.returncode == 4
    message = n.statuses(run)["nvidia_driver"]["message"]
    assert "the image's driver is 560.35.03; software.cuda needs >= 570.26" in message, message


def test_driver_image_on_an_image_without_a_driver_says_so(tmp_path, nvidia_mirror):
    n = _image_driver_node(tmp_path, "oracle-linux-8")
    run = n.run("--only", "nvidia_driver")
    assert run.returncode == 4
    message = n.statuses(run)["nvidia_driver"]["message"]
    assert "software.driver is 'image' but no NVIDIA driver runs" in message, message


# --- the first boot, whole: repository, driver, reboot, resume ----------------------------------


@pytest.mark.parametrize("os_name", ("ubuntu-22.04", "oracle-linux-9"))
def test_first_boot_from_a_bare_image_reaches_every_package_step_after_the_reboot(node, os_name):
    """No repository, no driver: the run configures the repository, installs the pinned driver
    set, asks for the reboot and skips what follows; the resumed run after it loads the
    driver's services and installs NCCL; a third run changes nothing."""
    n = node(os_name, repo=False)
    steps = "nvidia_repo,nvidia_driver,nccl"
    (n.root / "proc/sys/kernel/random/boot_id").write_text("first-boot\n")
    first = n.run("--only", steps)
    assert first.returncode == 6, first.stderr[-3000:]
    statuses = n.statuses(first)
    assert statuses["nvidia_repo"]["status"] == "changed"
    assert "reboot required" in statuses["nvidia_driver"]["message"]
    assert n.installed("libnccl2" if n.family == "apt" else "libnccl") is None

    (n.root / "proc/sys/kernel/random/boot_id").write_text("second-boot\n")
    n.load_driver(PIN)
    resumed = n.run("--only", steps)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    statuses = n.statuses(resumed)
    assert [statuses[s]["status"] for s in steps.split(",")] == ["ok", "changed", "changed"]
    for name, want in _pinned(n, "nccl").items():
        assert _same(n.installed(name), want), name

    third = n.run("--only", steps)
    assert {n.statuses(third)[s]["status"] for s in steps.split(",")} == {"ok"}
