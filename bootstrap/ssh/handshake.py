"""One SSH handshake over an already-open byte stream: banner, key exchange, host-key check,
public-key authentication, keepalive — each with its own timeout and error category."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import paramiko

from bootstrap.ssh.errors import AuthError, ConnectError, SshError, SshTimeoutError
from bootstrap.ssh.known_hosts import KnownHosts, entry_name, fingerprint
from bootstrap.ssh.settings import Timeouts

# known_hosts stores RSA keys as "ssh-rsa"; the handshake negotiates SHA-2 signatures of them.
_ALGORITHMS_OF_KEY_TYPE = {"ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]}

# AES-GCM first. paramiko's own order puts AES-CTR + HMAC-SHA2 first, which costs the client
# a Python HMAC object and a byte-by-byte MAC comparison in Python per packet; GCM authenticates
# inside OpenSSL. Every node's packets cross the client twice (node and bastion transports);
# at 200 nodes the bare loop spent 2-9 % less client CPU with GCM (docs/benchmarks.md).
# OpenSSH has offered aes*-gcm@openssh.com since 6.2 (release notes, 2013), and RHEL/OL 8-9's
# DEFAULT and FIPS crypto policies keep it; a server without it still gets CTR, next in line.
_PREFERRED_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")

# How often an idle transport thread wakes to look at its state (paramiko: 0.1 s). With 64
# nodes in flight that is 640 wake-ups a second, each a timed-out read raised and caught in
# Python. Nothing waits on that poll here: closing wakes the reader at once (`stop_transport`),
# our own waits bound the handshake, keepalives are 15 s apart.
READER_POLL_S = 0.5


@dataclass(frozen=True)
class Endpoint:
    name: str
    host: str
    port: int
    user: str

    @property
    def where(self) -> str:
        return f"{self.user}@{entry_name(self.host, self.port)}"


def handshake(
    sock: Any,
    endpoint: Endpoint,
    *,
    keys: list[paramiko.PKey],
    known_hosts: KnownHosts,
    timeouts: Timeouts,
) -> paramiko.Transport:
    """A connected, verified, authenticated transport over `sock`. On error the transport is
    stopped and its thread joined; closing `sock` stays the caller's job."""
    transport = paramiko.Transport(sock)
    _quieten(transport, sock)
    transport.banner_timeout = timeouts.banner
    transport.handshake_timeout = timeouts.banner
    transport.auth_timeout = timeouts.auth
    _prefer_known_key_types(transport, known_hosts.known_types(endpoint.host, endpoint.port))
    _prefer_gcm(transport)
    try:
        _negotiate(transport, endpoint, timeouts)
        known_hosts.verify(
            endpoint.name, endpoint.host, endpoint.port, transport.get_remote_server_key()
        )
        _authenticate(transport, endpoint, keys)
    except BaseException:
        stop_transport(transport)
        raise
    if timeouts.keepalive:
        transport.set_keepalive(timeouts.keepalive)
    return transport


def stop_transport(transport: paramiko.Transport, join_timeout: float = 5.0) -> None:
    """Close and wait for the transport's thread, so nothing is still writing to the socket
    when the caller closes it (see docs of NoCloseSocket). The thread's pending read is ended
    first: it would otherwise sleep out its poll (READER_POLL_S) before seeing the close."""
    wake = getattr(transport.sock, "stop_reading", None)
    if wake is not None:
        wake()
    elif isinstance(transport.sock, socket.socket):
        with contextlib.suppress(OSError):  # already closed or never connected
            transport.sock.shutdown(socket.SHUT_RDWR)
    transport.close()
    if transport.is_alive() and transport is not threading.current_thread():
        transport.join(join_timeout)


class _NoHandshakeTimer:
    def cancel(self) -> None:
        pass


def _quieten(transport: paramiko.Transport, sock: Any) -> None:
    """Spare each connection two costs that buy nothing here: the reader's 0.1 s poll
    (READER_POLL_S) and the handshake timer thread. paramiko's Packetizer starts a
    `threading.Timer` per connection only when it has none (`start_handshake`) and cancels it
    on every packet afterwards; `_negotiate` bounds the key exchange itself, so a stand-in is
    set. Measured at 200 nodes with the bare loop: 14 % less client CPU each
    (docs/benchmarks.md); tests/runner/test_ssh_cost.py fails if paramiko renames either."""
    sock.settimeout(READER_POLL_S)
    if hasattr(transport.packetizer, "_Packetizer__timer"):
        transport.packetizer._Packetizer__timer = _NoHandshakeTimer()


def _prefer_known_key_types(transport: paramiko.Transport, known: list[str]) -> None:
    if not known:
        return
    options = transport.get_security_options()
    offered = list(options.key_types)
    wanted = [a for k in known for a in _ALGORITHMS_OF_KEY_TYPE.get(k, [k]) if a in offered]
    options.key_types = tuple(dict.fromkeys(wanted + offered))


def _prefer_gcm(transport: paramiko.Transport) -> None:
    options = transport.get_security_options()
    offered = tuple(options.ciphers)
    options.ciphers = tuple(dict.fromkeys(c for c in _PREFERRED_CIPHERS + offered if c in offered))


def _negotiate(transport: paramiko.Transport, endpoint: Endpoint, timeouts: Timeouts) -> None:
    done = threading.Event()
    started = time.monotonic()
    try:
        transport.start_client(event=done)
    except paramiko.SSHException as exc:
        raise _classify(endpoint, exc) from None
    # paramiko's own banner timeout fires inside; this bounds the key exchange after it.
    if not done.wait(timeouts.banner * 2):
        raise SshTimeoutError(
            endpoint.name,
            f"no SSH key exchange with {endpoint.where} within {timeouts.banner * 2:.0f}s",
            remedy="the node may be overloaded or sshd hung; retry later",
            retryable=True,
        )
    if not transport.is_active() or transport.get_remote_server_key() is None:
        failure = transport.get_exception() or paramiko.SSHException("negotiation failed")
        # paramiko words a banner timeout "Error reading SSH protocol banner" with an empty
        # reason, as it does EOF: the time it took tells them apart.
        waited = time.monotonic() - started >= timeouts.banner * 0.9
        raise _classify(endpoint, failure, banner_timed_out=waited)


def _classify(
    endpoint: Endpoint, exc: BaseException, *, banner_timed_out: bool = False
) -> SshError:
    text = str(exc) or type(exc).__name__
    banner = "banner" in text.lower()
    if banner and ("timeout" in text.lower() or banner_timed_out):
        return SshTimeoutError(
            endpoint.name,
            f"no SSH banner from {endpoint.where}: {text}",
            remedy="is sshd running and not overloaded (MaxStartups)?",
            retryable=True,
        )
    if isinstance(exc, socket.timeout | TimeoutError):
        return SshTimeoutError(endpoint.name, f"{endpoint.where}: {text}", retryable=True)
    return ConnectError(
        endpoint.name,
        f"SSH negotiation with {endpoint.where} failed: {text}",
        remedy="is an SSH server listening there? check sshd's log on the node",
    )


def _authenticate(
    transport: paramiko.Transport, endpoint: Endpoint, keys: list[paramiko.PKey]
) -> None:
    for key in keys:
        try:
            transport.auth_publickey(endpoint.user, key)
        except paramiko.BadAuthenticationType as exc:
            raise AuthError(
                endpoint.name,
                f"{endpoint.where} does not accept public keys (offers {exc.allowed_types})",
                remedy="enable PubkeyAuthentication on the node",
            ) from None
        except paramiko.AuthenticationException as exc:
            if "timeout" in str(exc).lower():
                raise SshTimeoutError(
                    endpoint.name,
                    f"authentication with {endpoint.where} timed out",
                    remedy="the node may be overloaded, or sshd stuck resolving names (UseDNS no)",
                ) from None
            continue
        except paramiko.SSHException as exc:
            raise _classify(endpoint, exc) from None
        if transport.is_authenticated():
            return
    offered = ", ".join(fingerprint(k) for k in keys)
    raise AuthError(
        endpoint.name,
        f"{endpoint.where} refused the key ({offered})",
        remedy=f"check the user name, and that the public key is in ~{endpoint.user}/.ssh/"
        "authorized_keys on the node (and that sshd allows logins from the bastion)",
    )
