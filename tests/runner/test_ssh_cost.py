"""What each connection costs the client beyond paramiko's own defaults
(`bootstrap/ssh/handshake.py`, `_quieten`): no handshake timer thread, an idle reader that
polls every READER_POLL_S instead of every 0.1 s, and closes that still end at once because
the pending read is ended first. These reach into paramiko (a private attribute, the
channel's buffer), so they are checked against the real library and a real sshd fleet."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import paramiko.packet
import pytest

from bootstrap.inventory.load import load_inventory
from bootstrap.runner.setup import build_connector
from bootstrap.ssh.handshake import READER_POLL_S, Endpoint
from tests import sshfleet

pytestmark = pytest.mark.sshd


def _connector_and_nodes(fleet: sshfleet.Fleet, tmp_path: Path, count: int) -> tuple[Any, list]:
    inventory = load_inventory(fleet.write_inventory(tmp_path / "inventory.json"))
    nodes = [Endpoint(n.name, n.host, n.port, n.user) for n in inventory.nodes[:count]]
    return build_connector(inventory), nodes


def test_no_handshake_timer_thread_is_started(
    fleet: sshfleet.Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[threading.Timer] = []

    class CountingTimer(threading.Timer):
        def start(self) -> None:
            started.append(self)
            super().start()

    monkeypatch.setattr(paramiko.packet.threading, "Timer", CountingTimer)
    connector, nodes = _connector_and_nodes(fleet, tmp_path, 2)
    try:
        for node in nodes:
            with connector.connect(node) as conn:
                assert conn.exec("true", on_line=lambda stream, line: None) == 0
    finally:
        connector.close()
    assert started == []  # the bastion's and both nodes' handshakes


def test_idle_readers_poll_slowly_and_closing_is_still_prompt(
    fleet: sshfleet.Fleet, tmp_path: Path
) -> None:
    connector, nodes = _connector_and_nodes(fleet, tmp_path, 8)
    try:
        conns = [connector.connect(node) for node in nodes]
        for conn in conns:
            assert conn.transport.sock.gettimeout() == READER_POLL_S
        time.sleep(READER_POLL_S / 2)  # every reader is now waiting in a poll
        started = time.monotonic()
        for conn in conns:
            conn.close()
        # Each close waits for its transport thread; without the wake-up each could sleep
        # out the rest of its poll (8 x up to 0.5 s).
        assert time.monotonic() - started < 0.1 * len(conns)
        assert not any(conn.transport.is_alive() for conn in conns)
        bastion = connector.bastion._slots[0]
        assert bastion is not None and bastion.sock.gettimeout() == READER_POLL_S
        started = time.monotonic()
    finally:
        connector.close()
    # The bastion's transport reads a real socket: shutting it down ends that read.
    assert time.monotonic() - started < 0.2
    assert not bastion.is_alive()
