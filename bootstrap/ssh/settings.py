"""Timeouts and the retry policy of every SSH connection."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Timeouts:
    """Seconds. `connect`: TCP connect or bastion channel open; `banner`: the server's version
    line and key exchange; `auth`: public-key authentication; `keepalive`: interval of
    keepalive packets on established connections (0 disables)."""

    connect: float = 10.0
    banner: float = 15.0
    auth: float = 15.0
    keepalive: int = 15


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
