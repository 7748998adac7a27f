"""The suite-wide network guard really refuses non-loopback connections."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import NonLoopbackConnection


def test_metadata_address_is_refused() -> None:
    with socket.socket() as s, pytest.raises(NonLoopbackConnection):
        s.connect(("169.254.169.254", 80))


def test_public_address_is_refused() -> None:
    with socket.socket() as s, pytest.raises(NonLoopbackConnection):
        s.connect_ex(("192.0.2.1", 443))


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())
