"""Connections to nodes: `Connector` opens them (through the bastion when there is one, with
retries of connect-class errors only); `NodeConnection` runs commands and uploads files.

    connector = Connector(keys=load_keys(path), known_hosts=KnownHosts(kh), bastion=bastion)
    with connector.connect(Endpoint("train-0001", "10.0.1.17", 22, "opc")) as conn:
        code = conn.exec("uname -r", on_line=lambda stream, line: print(stream, line))
    connector.close()
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any

import paramiko
from paramiko.common import MSG_CHANNEL_REQUEST, cMSG_CHANNEL_SUCCESS

from bootstrap.ssh.errors import (
    BastionLostError,
    CommandError,
    ConnectError,
    ConnectionLostError,
    SshError,
    SshTimeoutError,
)
from bootstrap.ssh.handshake import Endpoint, handshake, stop_transport
from bootstrap.ssh.known_hosts import KnownHosts
from bootstrap.ssh.line_split import LineSplitter
from bootstrap.ssh.settings import RetryPolicy, Timeouts
from bootstrap.ssh.tunnel import BastionPool, NoCloseSocket, close_tunnel, direct_socket

OnLine = Callable[[str, str], None]  # (stream "out" | "err", line without newline)
_READ_CHUNK = 32768
_EXIT_SIGNAL = "_gpufleet_exit_signal"  # set on a Channel by _channel_request

# paramiko logs a failed handshake at ERROR with a Python traceback; with no handler set up,
# logging's last resort prints it on the operator's terminal. Every failure reaches the
# operator as a classified error instead, so its own log lines go nowhere.
logging.getLogger("paramiko").addHandler(logging.NullHandler())


class Connector:
    def __init__(
        self,
        *,
        keys: list[paramiko.PKey],
        known_hosts: KnownHosts,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        bastion: Endpoint | None = None,
        bastion_transports: int = 1,
    ) -> None:
        self.keys = keys
        self.known_hosts = known_hosts
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self.bastion = (
            BastionPool(bastion, lambda: self._open_direct(bastion), bastion_transports)
            if bastion
            else None
        )

    def connect(
        self,
        node: Endpoint,
        *,
        deadline: float | None = None,
        stop: threading.Event | None = None,
    ) -> NodeConnection:
        """Connect, retrying connect-class errors with jittered backoff while the deadline
        (a `time.monotonic()` value) allows. Raises SshError."""
        attempt = 0
        while True:
            attempt += 1
            try:
                conn = self._connect_once(node, deadline)
                conn.attempts = attempt
                return conn
            except SshError as exc:
                exc.attempts = attempt  # type: ignore[attr-defined]
                if not exc.retryable or attempt >= self.retry.attempts:
                    raise
                pause = self.retry.delay(attempt)
                if deadline is not None and time.monotonic() + pause >= deadline:
                    raise
                if stop is not None and stop.wait(pause):
                    raise
                if stop is None:
                    time.sleep(pause)

    def close(self) -> None:
        if self.bastion is not None:
            self.bastion.close()

    def _connect_once(self, node: Endpoint, deadline: float | None = None) -> NodeConnection:
        # Every wait (TCP, channel, banner, key exchange, auth) ends by the node's deadline.
        timeouts = self.timeouts.within(node.name, deadline)
        if self.bastion is None:
            sock = direct_socket(node, timeouts.connect)
            try:
                transport = self._handshake(sock, node, timeouts)
            except BaseException:
                sock.close()
                raise
            return NodeConnection(node, transport, sock, None)
        channel = self.bastion.open_channel(node, timeouts.connect)
        try:
            transport = self._handshake(NoCloseSocket(channel), node, timeouts)
        except BaseException:
            channel.close()
            raise
        return NodeConnection(node, transport, None, channel)

    def _open_direct(self, endpoint: Endpoint) -> paramiko.Transport:
        sock = direct_socket(endpoint, self.timeouts.connect)
        try:
            return self._handshake(sock, endpoint)
        except BaseException:
            sock.close()
            raise

    def _handshake(
        self, sock: Any, endpoint: Endpoint, timeouts: Timeouts | None = None
    ) -> paramiko.Transport:
        return handshake(
            sock,
            endpoint,
            keys=self.keys,
            known_hosts=self.known_hosts,
            timeouts=timeouts or self.timeouts,
        )


class NodeConnection:
    """An authenticated connection to one node. Use as a context manager or call close()."""

    def __init__(
        self,
        endpoint: Endpoint,
        transport: paramiko.Transport,
        sock: Any | None,
        tunnel: paramiko.Channel | None,
    ) -> None:
        self.endpoint = endpoint
        self.transport = transport
        self._sock = sock
        self._tunnel = tunnel
        self.attempts = 1
        # The signal (name without "SIG") that killed the last exec's remote process, as sshd
        # reported it; None when it exited or nothing was said.
        self.exit_signal: str | None = None
        _hear_exit_signals(transport)

    def __enter__(self) -> NodeConnection:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._tunnel is not None:
            close_tunnel(self.transport, self._tunnel)
        else:
            stop_transport(self.transport)
            if self._sock is not None:
                self._sock.close()

    def exec(
        self,
        command: str,
        *,
        on_line: OnLine,
        stdin: bytes | None = None,
        deadline: float | None = None,
        stop: threading.Event | None = None,
        send_eof: bool = True,
    ) -> int:
        """Run `command`, send `stdin` (then EOF unless `send_eof` is False: a supervised job
        watches its stdin to notice the client going away), stream its output lines to
        `on_line` until both streams end, then return the exit status (-1 when killed by a
        signal). Raises SshTimeoutError past `deadline`, CommandError when stopped or cut
        off; either way the channel is closed, which a supervised job takes as its stop."""
        name = self.endpoint.name
        self.exit_signal = None
        try:
            chan = self.transport.open_session(timeout=_remaining(deadline, 30.0))
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise ConnectError(name, f"cannot open a session: {exc}") from None
        try:
            chan.exec_command(command)
            if stdin:
                chan.settimeout(_remaining(deadline, None))
                chan.sendall(stdin)
                chan.settimeout(None)
            if send_eof:
                chan.shutdown_write()
            _drain(chan, on_line, deadline, stop, name, command)
            if not chan.status_event.wait(_remaining(deadline, 30.0)):
                raise SshTimeoutError(name, "no exit status after the output ended")
            self.exit_signal = getattr(chan, _EXIT_SIGNAL, None)
            lost = chan.exit_status == -1 and self.exit_signal is None
            if lost and not self.transport.is_active():
                raise ConnectionLostError(name, "closed before the exit status", command=command)
            return chan.recv_exit_status()
        except TimeoutError:
            raise SshTimeoutError(name, "deadline exceeded while sending input") from None
        except ConnectionLostError as exc:
            raise self._lost(exc.message, command) from None
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise self._lost(str(exc), command) from None
        finally:
            chan.close()

    def _lost(self, what: str, command: str) -> ConnectionLostError:
        """The connection died mid-run: say whether the bastion's went first."""
        name = self.endpoint.name
        outer = self._tunnel.get_transport() if self._tunnel is not None else None
        if outer is not None:
            outer.join(0.5)  # a dead bastion transport's thread ends right after its channels
            if not outer.is_active():
                return BastionLostError(
                    name,
                    f"the bastion connection was lost while running ({what}); every node in "
                    "flight through it stopped, and their jobs are stopped on the nodes",
                    command=command,
                    remedy="check the bastion (is it up? its sshd log, MaxSessions), then "
                    "retry the failed nodes",
                )
        return ConnectionLostError(
            name,
            f"the connection to the node dropped while running ({what}); the job may have "
            "partly run and is stopped on the node when its sshd notices",
            command=command,
            remedy="check that the node is up and its sshd running (journalctl -u sshd), "
            "then retry it",
        )

    def upload_sftp(
        self, data: bytes, path: str, *, mode: int = 0o700, deadline: float | None = None
    ) -> None:
        """Write `data` to `path` atomically: a temp file in the same folder, chmod, then
        rename over `path` (posix-rename@openssh.com), so no reader ever sees half a file."""
        sftp = paramiko.SFTPClient.from_transport(self.transport)
        if sftp is None:
            raise ConnectError(self.endpoint.name, "cannot start the SFTP subsystem")
        try:
            channel = sftp.get_channel()
            if channel is not None:
                channel.settimeout(_remaining(deadline, 60.0))
            folder = path.rsplit("/", 1)[0] if "/" in path else ""
            if folder:
                # It may exist already; a real problem shows at open().
                with contextlib.suppress(OSError):
                    sftp.mkdir(folder, 0o700)
            tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
            with sftp.open(tmp, "wb") as f:
                f.set_pipelined(True)
                f.write(data)
            sftp.chmod(tmp, mode)
            sftp.posix_rename(tmp, path)
        except TimeoutError:
            raise SshTimeoutError(self.endpoint.name, "deadline exceeded during upload") from None
        except (OSError, paramiko.SSHException, EOFError) as exc:
            raise CommandError(self.endpoint.name, f"upload to {path} failed: {exc}") from None
        finally:
            sftp.close()


def _hear_exit_signals(transport: paramiko.Transport) -> None:
    """Make `transport` keep the "exit-signal" channel request, which paramiko answers as
    unhandled and drops: without it a remote process killed by a signal is only exit -1."""
    table = dict(type(transport)._channel_handler_table)  # type: ignore[attr-defined]
    table[MSG_CHANNEL_REQUEST] = _channel_request
    transport._channel_handler_table = table  # type: ignore[attr-defined]


def _channel_request(chan: paramiko.Channel, m: paramiko.Message) -> None:
    # RFC 4254 section 6.10: string "exit-signal", boolean FALSE, string signal name without
    # "SIG", boolean core dumped, string error message, string language tag.
    start = m.packet.tell()
    if m.get_text() == "exit-signal":
        want_reply = m.get_boolean()
        setattr(chan, _EXIT_SIGNAL, m.get_text() or "?")
        if want_reply:
            reply = paramiko.Message()
            reply.add_byte(cMSG_CHANNEL_SUCCESS)
            reply.add_int(chan.remote_chanid)
            chan.transport._send_user_message(reply)  # type: ignore[union-attr]
        return
    m.packet.seek(start)
    paramiko.Channel._handle_request(chan, m)  # type: ignore[attr-defined]


def _remaining(deadline: float | None, default: float | None) -> float | None:
    if deadline is None:
        return default
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left if default is None else min(left, default)


def _drain(
    chan: paramiko.Channel,
    on_line: OnLine,
    deadline: float | None,
    stop: threading.Event | None,
    name: str,
    command: str,
) -> None:
    # One event for both buffers: paramiko sets it on data and on close (EOF). Every pass
    # checks both buffers without blocking before waiting, so no wake-up is lost.
    wake = threading.Event()
    chan.in_buffer.set_event(wake)
    chan.in_stderr_buffer.set_event(wake)
    out, err = LineSplitter("out", on_line), LineSplitter("err", on_line)

    while True:
        wake.clear()
        busy = False
        while chan.recv_ready():
            out.feed(chan.recv(_READ_CHUNK))
            busy = True
        while chan.recv_stderr_ready():
            err.feed(chan.recv_stderr(_READ_CHUNK))
            busy = True
        if busy:
            continue
        if chan.eof_received or chan.closed:
            break
        if stop is not None and stop.is_set():
            raise CommandError(
                name, "interrupted (Ctrl-C) while running; it may have partly run", command=command
            )
        if deadline is not None and time.monotonic() >= deadline:
            raise SshTimeoutError(
                name,
                "deadline exceeded while running; the session was closed, which stops the "
                "job's process group on the node",
                remedy="raise the deadline, or find what hangs in the node's log",
            )
        if not chan.get_transport().is_active():
            raise ConnectionLostError(name, "transport closed", command=command)
        wake.wait(0.5 if deadline is None else max(0.0, min(0.5, deadline - time.monotonic())))
    out.close()
    err.close()
