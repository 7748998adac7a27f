"""The versions the bootstrap pins are versions NVIDIA's repositories hold (the fact file), for
every supported OS; where the repository is, per OS and CPU architecture."""

from __future__ import annotations

import pytest

from bootstrap.render import RenderError, cuda_repo
from bootstrap.render.script import build_context
from tests.packages import stub_repos
from tests.render.configs import config_with, example_raw, pool

OSES = ("ubuntu-22.04", "ubuntu-24.04", "oracle-linux-8", "oracle-linux-9")


def _recorded(family: str, dist: str) -> dict[str, set[str]]:
    """name -> every full version the fact file records for it ([epoch:]version-release)."""
    out: dict[str, set[str]] = {}
    for pkg in stub_repos.facts()[family]["packages"]:
        epoch = f"{pkg['epoch']}:" if "epoch" in pkg else ""
        out[pkg["name"]] = {epoch + v.replace("{dist}", dist) for v in pkg["versions"]}
    return out


@pytest.mark.parametrize("os_name", OSES)
def test_every_nvidia_pin_is_a_version_the_repository_holds(os_name):
    config = config_with(pool("BM.GPU.H100.8", os_name))
    ctx = build_context(config, config.pools[0], checker=False)
    family = ctx["pkg_family"]
    held = _recorded(family, f"el{os_name[-1]}")
    pinned = [p for p in ctx["packages"] if p["step"] in ("nvidia_driver", "nccl")]
    assert len(pinned) >= 5
    for p in pinned:
        versions = held.get(p["name"], set())
        # dnf matches any epoch when the spec names none; apt wants the whole string.
        if family == "dnf" and ":" not in p["version"]:
            versions = {v.split(":", 1)[-1] for v in versions}
        assert p["version"] in versions, (p, sorted(versions))


@pytest.mark.parametrize(
    ("family", "os_id", "version", "arch", "url", "source"),
    [
        ("apt", "ubuntu", "22.04", "x86_64", "ubuntu2204/x86_64/", "cuda-ubuntu2204-x86_64.list"),
        ("apt", "ubuntu", "24.04", "aarch64", "ubuntu2404/sbsa/", "cuda-ubuntu2404-sbsa.list"),
        ("dnf", "ol", "8", "x86_64", "rhel8/x86_64/", "cuda-rhel8.repo"),
        ("dnf", "ol", "9", "x86_64", "rhel9/x86_64/", "cuda-rhel9.repo"),
    ],
)
def test_the_repository_of_each_os(family, os_id, version, arch, url, source):
    repo = cuda_repo.cuda_repo(family, os_id, version, arch)
    assert repo.url == f"https://developer.download.nvidia.com/compute/cuda/repos/{url}"
    assert repo.source_file.endswith("/" + source)
    key_id = cuda_repo.APT_KEY_ID if family == "apt" else cuda_repo.DNF_KEY_ID
    assert repo.key_url == repo.url + f"{key_id}.pub"
    assert repo.key_fpr.endswith(key_id.upper())  # a fingerprint ends with its key id


def test_driver_image_needs_a_cuda_whose_minimum_driver_is_known():
    software = example_raw()["software"] | {"driver": "image", "cuda": "12.7"}
    config = config_with(pool("BM.GPU.H100.8", "ubuntu-22.04"), software=software)
    with pytest.raises(RenderError, match=r"needs the minimum driver of CUDA 12\.7"):
        build_context(config, config.pools[0], checker=False)
