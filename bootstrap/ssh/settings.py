"""Timeouts and the retry policy of every SSH connection."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, replace

from bootstrap.ssh.errors import SshTimeoutError


@dataclass(frozen=True)
class Timeouts:
    """Seconds. `connect`: TCP connect or bastion channel open; `banner`: the server's version
    line and key exchange; `auth`: public-key authentication; `keepalive`: interval of
    keepalive packets on established connections (0 disables)."""

    connect: float = 10.0
    banner: float = 15.0
    auth: float = 15.0
    keepalive: int = 15

    def within(self, node: str, deadline: float | None) -> Timeouts:
        """These timeouts, each cut to what is left before `deadline` (`time.monotonic()`),
        so a hung sshd (banner, key exchange, auth) never holds a node past its deadline.
        Raises SshTimeoutError when nothing is left."""
        if deadline is None:
            return self
        left = deadline - time.monotonic()
        if left <= 0:
            raise SshTimeoutError(node, "deadline reached before connecting")
        return replace(
            self,
            connect=min(self.connect, left),
            banner=min(self.banner, left / 2),  # the key exchange may wait twice the banner's
            auth=min(self.auth, left),
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of connect-class errors only, with "full jitter" exponential backoff so a fleet
    of nodes that failed together does not retry in lockstep."""

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        """Sleep before retry number `attempt` (1-based)."""
        return random.uniform(0.0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))
