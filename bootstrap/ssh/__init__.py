"""Strict, bounded SSH to nodes behind a bastion (paramiko). See `errors` for the error tree."""

from bootstrap.ssh import _no_invoke  # noqa: F401  (first: before paramiko is imported)
from bootstrap.ssh.connection import Connector, NodeConnection
from bootstrap.ssh.errors import (
    AuthError,
    BastionError,
    ChangedHostKeyError,
    CommandError,
    ConnectError,
    DnsError,
    HostKeyError,
    SshError,
    SshTimeoutError,
    UnknownHostKeyError,
)
from bootstrap.ssh.handshake import Endpoint
from bootstrap.ssh.identity import PASSPHRASE_ENV, load_keys
from bootstrap.ssh.known_hosts import KnownHosts
from bootstrap.ssh.settings import RetryPolicy, Timeouts

__all__ = [
    "PASSPHRASE_ENV",
    "AuthError",
    "BastionError",
    "ChangedHostKeyError",
    "CommandError",
    "ConnectError",
    "Connector",
    "DnsError",
    "Endpoint",
    "HostKeyError",
    "KnownHosts",
    "NodeConnection",
    "RetryPolicy",
    "SshError",
    "SshTimeoutError",
    "Timeouts",
    "UnknownHostKeyError",
    "load_keys",
]
