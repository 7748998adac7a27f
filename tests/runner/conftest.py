"""Fixtures for the runner tests: one real sshd fleet per session (32 nodes + bastion).

Tests never mutate the fleet: a changed host key is a known_hosts file with another key for a
node, a dead node is an inventory entry on an address with no daemon, and every script writes
under `$GPUFLEET_NODE_DIR/<test token>/` so tests don't see each other's markers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests import sshfleet
from tests.runner.fleet_helpers import fleet_for

FLEET_NODES = 32


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sshfleet.Fleet]:
    yield from fleet_for(tmp_path_factory, "fleet", FLEET_NODES)


@pytest.fixture
def token() -> str:
    """A name unique to the test, for per-node marker folders."""
    return f"t{uuid.uuid4().hex[:10]}"
