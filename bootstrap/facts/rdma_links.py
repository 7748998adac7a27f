"""RDMA device → netdev link state from ``ibdev2netdev`` (fact `RdmaLinks`).

Line format (MLNX_OFED/DOCA ``ibdev2netdev`` script; recorded BM.GPU.H100.8 fixture)::

    mlx5_0 port 1 ==> rdma0 (Up)

Example result::

    {"links": [{"device": "mlx5_0", "port": 1, "netdev": "rdma0", "state": "Up", "up": true}, ...]}

Every non-blank line must be a link line (a pasted prompt or the echoed command name is
dropped); anything else, including a line cut mid-way, is a parse error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bootstrap.facts.base import Fact, is_prompt, require_text
from bootstrap.facts.errors import FactParseError

KIND = "ibdev2netdev"
COMMAND = "timeout 10 ibdev2netdev"
_LINE = re.compile(r"^(?P<dev>\S+) port (?P<port>\d+) ==> (?P<netdev>\S+) \((?P<state>Up|Down)\)$")


@dataclass(frozen=True)
class RdmaLink(Fact):
    device: str
    port: int
    netdev: str
    state: str  # "Up" | "Down", as printed
    up: bool


@dataclass(frozen=True)
class RdmaLinks(Fact):
    links: tuple[RdmaLink, ...]

    def by_device(self) -> dict[str, RdmaLink]:
        return {link.device: link for link in self.links}


def parse(text: str) -> RdmaLinks:
    require_text(KIND, text)
    links = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or is_prompt(line) or line == "ibdev2netdev":
            continue
        match = _LINE.match(line)
        if not match:
            raise FactParseError(
                KIND, f"line {number}: {line!r} is not '<dev> port <n> ==> <netdev> (Up|Down)'"
            )
        links.append(
            RdmaLink(
                device=match["dev"],
                port=int(match["port"]),
                netdev=match["netdev"],
                state=match["state"],
                up=match["state"] == "Up",
            )
        )
    if not links:
        raise FactParseError(KIND, "no link lines")
    return RdmaLinks(links=tuple(links))
