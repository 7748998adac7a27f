"""Stand-in NVIDIA repositories, built once per test session (a few seconds) and shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.packages import stub_repos


@pytest.fixture(scope="session")
def pm_tools() -> None:
    missing = stub_repos.tools_missing()
    if missing:
        # CI installs them (.ci/run); a machine without them cannot run these tests at all.
        pytest.fail(f"missing Debian tools for the package-manager tests: {', '.join(missing)}")


@pytest.fixture(scope="session")
def apt_repo(tmp_path_factory: pytest.TempPathFactory, pm_tools: None) -> Path:
    return stub_repos.build_apt_repo(tmp_path_factory.mktemp("repos") / "apt")


@pytest.fixture(scope="session")
def dnf_repos(tmp_path_factory: pytest.TempPathFactory, pm_tools: None) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("repos")
    return {d: stub_repos.build_dnf_repo(base / d, d) for d in ("el8", "el9")}
