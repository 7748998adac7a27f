"""NVIDIA Xid events from the kernel log (fact `XidEvents`).

Kernel line format (NVIDIA "Xid Errors" doc, docs.nvidia.com/deploy/xid-errors)::

    [Tue Nov 25 10:11:12 2025] NVRM: Xid (PCI:0000:0f:00): 79, pid=…, GPU has fallen off the bus.

Because "no Xid" is an empty grep, COMMAND ends with a sentinel line; output without the
sentinel (command never ran, or was cut) is a parse error, so empty never reads as healthy.
Example::

    {"events": [{"pci": "0000:0f:00", "xid": 79, "message": "pid=…, GPU has fallen off the bus.",
                 "timestamp": "Tue Nov 25 10:11:12 2025"}]}
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bootstrap.facts.base import Fact, require_text
from bootstrap.facts.errors import FactParseError

KIND = "xid"
SENTINEL = "# gpufleet: end of xid scan"
DMESG_FAILED = "# gpufleet: dmesg failed"
COMMAND = (
    f"{{ timeout 30 dmesg || echo '{DMESG_FAILED}'; }} "
    f"| grep -E 'NVRM: Xid|^{DMESG_FAILED}'; echo '{SENTINEL}'"
)
_XID = re.compile(
    r"^(?:\[(?P<ts>[^\]]*)\]\s*)?(?:(?P<iso>\d{4}-\d\d-\d\dT\S+)\s+)?"
    r"(?:(?P<syslog>[A-Z][a-z]{2}\s+\d+\s+[\d:]+)\s+\S+\s+kernel:\s+)?"
    r"NVRM: Xid \((?:PCI:)?(?P<pci>[0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}(?:\.\d)?)\): "
    r"(?P<xid>\d+), ?(?P<msg>.*)$"
)


@dataclass(frozen=True)
class XidEvent(Fact):
    pci: str
    xid: int
    message: str
    timestamp: str | None


@dataclass(frozen=True)
class XidEvents(Fact):
    events: tuple[XidEvent, ...]

    def codes(self) -> tuple[int, ...]:
        return tuple(sorted({event.xid for event in self.events}))


def parse(text: str) -> XidEvents:
    require_text(KIND, text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[-1] != SENTINEL:
        raise FactParseError(KIND, f"no {SENTINEL!r} line at the end: scan incomplete")
    events = []
    for number, line in enumerate(lines[:-1], start=1):
        if line == DMESG_FAILED:
            raise FactParseError(KIND, "dmesg failed (kernel log unreadable; needs root?)")
        match = _XID.match(line)
        if not match:
            raise FactParseError(KIND, f"line {number}: not an 'NVRM: Xid' line: {line!r}")
        events.append(
            XidEvent(
                pci=match["pci"].lower(),
                xid=int(match["xid"]),
                message=match["msg"].strip(),
                timestamp=match["ts"] or match["iso"] or match["syslog"],
            )
        )
    return XidEvents(events=tuple(events))
