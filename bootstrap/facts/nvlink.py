"""Per-GPU NVLink link speeds from ``nvidia-smi nvlink --status`` (fact `NvlinkStatus`).

Format (``nvidia-smi nvlink -s``, R535+ drivers; an inactive link prints ``<inactive>``)::

    GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-6f1b7a52-...)
             Link 0: 26.562 GB/s
             Link 1: <inactive>

Example result::

    {"gpus": [{"index": 0, "name": "NVIDIA H100 80GB HBM3", "uuid": "GPU-6f1b7a52-...",
               "links": [{"link": 0, "active": true, "gbs": 26.562},
                         {"link": 1, "active": false, "gbs": null}]}, ...]}

Every non-blank line must be a GPU header or a link line; a line cut mid-way (``Link 7: 26.5``)
is a parse error. A GPU header with no link lines is kept with no links (output cut at a line
boundary): the nvlink check then reports its missing links, never a pass.

A GPU that exposes no NVLink at all prints nothing, not even its header: on a real H200 passed
through alone to a VM, driver 580.159.04, the command exited 0 with empty stdout (recording
tests/recorded/device/h200-vm/nvlink.txt). So a blank output parses as "no GPU reports an
NVLink" (``{"gpus": []}``) and the nvlink check fails every GPU the node has for its missing
links; a command that failed with no output never reaches this parser (the health code reports
its exit code instead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bootstrap.facts.base import Fact, is_prompt, require_text
from bootstrap.facts.errors import FactParseError

KIND = "nvlink"
COMMAND = "timeout 30 nvidia-smi nvlink --status"
_GPU = re.compile(r"^GPU (?P<index>\d+): (?P<name>.+?)(?: \(UUID: (?P<uuid>[^)\s]+)\))?$")
_LINK = re.compile(
    r"^Link (?P<link>\d+): (?:(?P<gbs>\d+(?:\.\d+)?) GB/s|(?P<inactive><inactive>|Inactive))$"
)


@dataclass(frozen=True)
class NvlinkLink(Fact):
    link: int
    active: bool
    gbs: float | None  # None when inactive


@dataclass(frozen=True)
class GpuNvlinks(Fact):
    index: int
    name: str
    uuid: str | None
    links: tuple[NvlinkLink, ...]

    @property
    def active(self) -> tuple[NvlinkLink, ...]:
        return tuple(link for link in self.links if link.active)


@dataclass(frozen=True)
class NvlinkStatus(Fact):
    gpus: tuple[GpuNvlinks, ...]


def parse(text: str) -> NvlinkStatus:
    if not text.strip():
        return NvlinkStatus(gpus=())  # no GPU exposes an NVLink (see the module docstring)
    require_text(KIND, text)
    gpus: list[tuple[int, str, str | None, list[NvlinkLink]]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or is_prompt(line):
            continue
        if m := _GPU.match(line):
            gpus.append((int(m["index"]), m["name"], m["uuid"], []))
        elif m := _LINK.match(line):
            if not gpus:
                raise FactParseError(KIND, f"line {number}: link line before any 'GPU N:' header")
            links = gpus[-1][3]
            if links and int(m["link"]) <= links[-1].link:
                raise FactParseError(KIND, f"line {number}: link {m['link']} out of order")
            gbs = float(m["gbs"]) if m["gbs"] is not None else None
            links.append(NvlinkLink(int(m["link"]), gbs is not None, gbs))
        else:
            raise FactParseError(
                KIND, f"line {number}: {line!r} is neither 'GPU N: ...' nor 'Link N: X GB/s'"
            )
    if not gpus:
        raise FactParseError(KIND, "no 'GPU N: ...' lines")
    indexes = [g[0] for g in gpus]
    if len(set(indexes)) != len(indexes):
        raise FactParseError(KIND, f"GPU indexes repeat: {indexes}")
    return NvlinkStatus(gpus=tuple(GpuNvlinks(i, n, u, tuple(ls)) for i, n, u, ls in gpus))
