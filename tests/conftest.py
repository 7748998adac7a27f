"""Suite-wide guard: tests talk to loopback only (127.0.0.0/8, ::1) or Unix sockets.

Any other connect() -- the instance metadata address 169.254.169.254, a cloud API, a package
mirror -- fails the test that tried it instead of leaving the machine.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from collections.abc import Iterator
from typing import Any

import pytest

# Tools installed into the virtualenv (the pinned shellcheck) must be found when the suite runs
# as `.venv/bin/python -m pytest` without an activated environment.
os.environ["PATH"] = f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"


class NonLoopbackConnection(AssertionError):
    pass


def _check(address: Any) -> None:
    if isinstance(address, str | bytes):
        return  # AF_UNIX path
    host = address[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost":
            return
        raise NonLoopbackConnection(f"test tried to resolve and connect to {host!r}") from None
    if not ip.is_loopback:
        raise NonLoopbackConnection(f"test tried to connect to {address!r} (loopback only)")


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        _check(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield
