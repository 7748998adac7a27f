"""The one error a fact parser may raise.

Exception tree (practice 11)::

    Exception
    └── FactParseError(kind, reason)   # empty, truncated, garbage or unexpected output

A parser never raises anything else and never returns a half-filled result that looks healthy:
if it cannot vouch for the output, it raises. Example::

    >>> str(FactParseError("ibdev2netdev", "line 3: 'mlx5_3 port 1 ==> rd' is not a link line"))
    "ibdev2netdev: line 3: 'mlx5_3 port 1 ==> rd' is not a link line"
"""

from __future__ import annotations


class FactParseError(Exception):
    """Output of a fact's command could not be parsed into a trustworthy result."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason
