"""Stand-in NVIDIA repositories, built once per test session (a few seconds) and shared, and the
render pointed at them.

`mirror` lays them out as developer.download.nvidia.com/compute/cuda/repos is laid out
(`<distro>/x86_64/` with the signing key `<keyid>.pub` beside the packages), signed with a
throwaway key. `nvidia_mirror` makes the bootstrap render that local tree's file:// URL and that
key's fingerprint in place of NVIDIA's, and nothing else.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.render import cuda_repo
from tests.packages import stub_repos


@pytest.fixture(scope="session")
def pm_tools() -> None:
    missing = stub_repos.tools_missing()
    if missing:
        # CI installs them (.ci/run); a machine without them cannot run these tests at all.
        pytest.fail(f"missing Debian tools for the package-manager tests: {', '.join(missing)}")


@pytest.fixture(scope="session")
def signing_key(tmp_path_factory: pytest.TempPathFactory, pm_tools: None) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp("gpg") / "home"
    return home, stub_repos.make_signing_key(home)


@pytest.fixture(scope="session")
def mirror(tmp_path_factory: pytest.TempPathFactory, signing_key: tuple[Path, str]) -> Path:
    home, fpr = signing_key
    base = tmp_path_factory.mktemp("mirror")
    apt = stub_repos.build_apt_repo(base / "ubuntu2204/x86_64", home)
    stub_repos.export_key(home, apt / f"{cuda_repo.APT_KEY_ID}.pub")
    (base / "ubuntu2404").mkdir()
    (base / "ubuntu2404/x86_64").symlink_to(apt)
    for n in (8, 9):
        dnf = stub_repos.build_dnf_repo(base / f"rhel{n}/x86_64", f"el{n}", home, fpr)
        stub_repos.export_key(home, dnf / f"{cuda_repo.DNF_KEY_ID}.pub")
    return base


@pytest.fixture(scope="session")
def sbsa_mirror(mirror: Path, signing_key: tuple[Path, str]) -> Path:
    """The mirror's Arm server trees (`<distro>/sbsa/`, arm64 packages), for GB200 nodes; built
    only by the tests that need them."""
    home, _ = signing_key
    apt = stub_repos.build_apt_repo(mirror / "ubuntu2204/sbsa", home, arch="arm64")
    stub_repos.export_key(home, apt / f"{cuda_repo.APT_KEY_ID}.pub")
    (mirror / "ubuntu2404/sbsa").symlink_to(apt)
    return mirror


@pytest.fixture(scope="session")
def arm64_archives(
    tmp_path_factory: pytest.TempPathFactory, signing_key: tuple[Path, str]
) -> dict[str, Path]:
    """The Ubuntu archives again, for arm64 (ports.ubuntu.com's layout)."""
    home, _ = signing_key
    out = {}
    for os_name in ("ubuntu-22.04", "ubuntu-24.04"):
        base = tmp_path_factory.mktemp(f"archive-{os_name}-arm64")
        stub_repos.build_apt_archive(base, os_name, home, arch="arm64")
        stub_repos.export_keyring(home, base / "archive-key.gpg")
        out[os_name] = base
    return out


@pytest.fixture(scope="session")
def archives(
    tmp_path_factory: pytest.TempPathFactory, signing_key: tuple[Path, str]
) -> dict[str, Path]:
    """Each OS's own archive (the image's configured repositories), keyed by OS name; each
    directory holds the archive's key as `archive-key.gpg` (apt) / `archive-key.asc` (dnf)."""
    home, fpr = signing_key
    out = {}
    for os_name in stub_repos.facts()["distribution_archives"]:
        if os_name == "sources":
            continue
        base = tmp_path_factory.mktemp(f"archive-{os_name}")
        if os_name.startswith("ubuntu"):
            stub_repos.build_apt_archive(base, os_name, home)
            stub_repos.export_keyring(home, base / "archive-key.gpg")
        else:
            stub_repos.build_dnf_archive(base, os_name, home, fpr)
            stub_repos.export_key(home, base / "archive-key.asc")
        out[os_name] = base
    return out


@pytest.fixture
def nvidia_mirror(
    monkeypatch: pytest.MonkeyPatch, mirror: Path, signing_key: tuple[Path, str]
) -> Path:
    monkeypatch.setattr(cuda_repo, "BASE_URL", f"file://{mirror}")
    monkeypatch.setattr(cuda_repo, "APT_KEY_FPR", signing_key[1])
    monkeypatch.setattr(cuda_repo, "DNF_KEY_FPR", signing_key[1])
    return mirror
