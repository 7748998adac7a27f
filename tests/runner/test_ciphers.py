"""The runner asks for AES-GCM first (`bootstrap/ssh/handshake.py`), on the node and the
bastion hop alike, and still reaches a node whose sshd offers only CTR ciphers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bootstrap.inventory.load import load_inventory
from bootstrap.runner.setup import build_connector
from bootstrap.ssh.handshake import Endpoint
from tests import sshfleet
from tests.runner.fleet_helpers import fleet_for

pytestmark = pytest.mark.sshd


@pytest.fixture(scope="module")
def ctr_only_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sshfleet.Fleet]:
    # An sshd limited the way a hardened image may be (no AEAD ciphers at all).
    yield from fleet_for(tmp_path_factory, "ctr-fleet", 1, node_config="Ciphers aes128-ctr\n")


def _ciphers(fleet: sshfleet.Fleet, tmp_path: Path) -> tuple[str, str, str]:
    inventory = load_inventory(fleet.write_inventory(tmp_path / "inventory.json"))
    connector = build_connector(inventory)
    node = inventory.nodes[0]
    try:
        with connector.connect(Endpoint(node.name, node.host, node.port, node.user)) as conn:
            tunnel = conn._tunnel
            assert tunnel is not None, "the inventory has a bastion"
            outer = tunnel.get_transport()
            assert conn.exec("true", on_line=lambda stream, line: None) == 0
            return conn.transport.local_cipher, conn.transport.remote_cipher, outer.local_cipher
    finally:
        connector.close()


def test_gcm_is_negotiated_on_both_hops(fleet: sshfleet.Fleet, tmp_path: Path) -> None:
    node_out, node_in, bastion_out = _ciphers(fleet, tmp_path)
    assert (node_out, node_in) == ("aes128-gcm@openssh.com", "aes128-gcm@openssh.com")
    assert bastion_out == "aes128-gcm@openssh.com"


def test_a_node_without_gcm_still_connects_with_ctr(
    ctr_only_fleet: sshfleet.Fleet, tmp_path: Path
) -> None:
    node_out, node_in, bastion_out = _ciphers(ctr_only_fleet, tmp_path)
    assert (node_out, node_in) == ("aes128-ctr", "aes128-ctr")
    assert bastion_out == "aes128-gcm@openssh.com"
