"""SSH errors: values that name the node, a category, what happened, and the fix.

    SshError                      (node, category, message, remedy)
    ├── DnsError                  "dns"       name does not resolve            — not retried
    ├── ConnectError              "connect"   refused / reset / no route / EOF — retried
    │   └── BastionError          "connect"   the bastion itself failed        — retried
    ├── SshTimeoutError           "timeout"   connect / banner / auth / deadline
    │                                         (`retryable` only for connect and banner)
    ├── AuthError                 "auth"      key refused, key unreadable      — not retried
    ├── HostKeyError              "host-key"                                   — not retried
    │   ├── UnknownHostKeyError   key not in known_hosts (strict mode)
    │   └── ChangedHostKeyError   key differs from known_hosts — always refused
    └── CommandError              "command"   the remote command failed/aborted — never re-run
        └── ConnectionLostError   "connection-lost"  the node's connection dropped mid-run
            └── BastionLostError  "bastion-lost"     ... because the bastion's went first

While a job runs, what ended it is told apart so the operator looks in the right place: a
dropped node connection (the node, its sshd), a lost bastion (every node in flight fails at
once: look at the bastion, not at 50 nodes), the deadline (`SshTimeoutError`), and a remote
signal, which is not an SSH error: the node reports it (`bootstrap.runner.remote_command`) and
the runner files it under category "signal".

Only `retryable` errors are retried, and only before anything ran on the node (the connect
step); a script is never re-run automatically. `str(error)` is one line:

    train-0003 (10.0.1.19:22): host-key: host key CHANGED ... remedy: ssh-keygen -R ...
"""

from __future__ import annotations


class SshError(Exception):
    category = "ssh"
    retryable = False

    def __init__(self, node: str, message: str, remedy: str = "") -> None:
        self.node = node
        self.message = message
        self.remedy = remedy
        super().__init__(str(self))

    def __str__(self) -> str:
        fix = f"; remedy: {self.remedy}" if self.remedy else ""
        return f"{self.node}: {self.category}: {self.message}{fix}"


class DnsError(SshError):
    category = "dns"


class ConnectError(SshError):
    category = "connect"
    retryable = True


class BastionError(ConnectError):
    pass


class SshTimeoutError(SshError):
    category = "timeout"

    def __init__(self, node: str, message: str, remedy: str = "", *, retryable: bool = False):
        super().__init__(node, message, remedy)
        self.retryable = retryable


class AuthError(SshError):
    category = "auth"


class HostKeyError(SshError):
    category = "host-key"


class UnknownHostKeyError(HostKeyError):
    pass


class ChangedHostKeyError(HostKeyError):
    pass


class CommandError(SshError):
    category = "command"

    def __init__(
        self,
        node: str,
        message: str,
        *,
        command: str = "",
        exit_code: int | None = None,
        tail: list[str] | None = None,
        remedy: str = "",
    ) -> None:
        self.command = command
        self.exit_code = exit_code
        self.tail = tail or []
        super().__init__(node, message, remedy)


class ConnectionLostError(CommandError):
    category = "connection-lost"


class BastionLostError(ConnectionLostError):
    category = "bastion-lost"
