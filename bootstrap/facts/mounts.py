"""Mounted filesystems (fact `Mounts`), from ``findmnt -J`` or ``/proc/mounts``.

* ``findmnt -J -o TARGET,SOURCE,FSTYPE,OPTIONS`` (util-linux): ``{"filesystems": [{"target",
  "source", "fstype", "options", "children": [...]}]}`` — the tree is flattened in order.
* ``/proc/mounts`` (proc(5)): ``source target fstype options dump pass`` with spaces etc.
  escaped as octal ``\\040``.

Used to check the NVMe scratch (``/mnt/localdisk``, facts/oci.md §4.4) and the shared FSS/NFS
mount. Example::

    {"mounts": [{"target": "/", "source": "/dev/sda1", "fstype": "ext4",
                 "options": "rw,relatime"}, ...]}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bootstrap.facts.base import Fact, load_json, require_text
from bootstrap.facts.errors import FactParseError

KIND = "mounts"
COMMAND = "timeout 10 findmnt -J -o TARGET,SOURCE,FSTYPE,OPTIONS"
PROC_COMMAND = "timeout 10 cat /proc/mounts"
_OCTAL = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True)
class Mount(Fact):
    target: str
    source: str
    fstype: str
    options: str


@dataclass(frozen=True)
class Mounts(Fact):
    mounts: tuple[Mount, ...]

    def at(self, target: str) -> Mount | None:
        """The mount visible at `target` (the last one mounted there wins, as in the kernel)."""
        return next((m for m in reversed(self.mounts) if m.target == target), None)


def _walk(nodes: Any, out: list[Mount]) -> None:
    if not isinstance(nodes, list):
        raise FactParseError(KIND, "'filesystems'/'children' is not a list")
    for node in nodes:
        if not isinstance(node, dict):
            raise FactParseError(KIND, "a filesystem entry is not an object")
        values = [node.get(key) for key in ("target", "source", "fstype", "options")]
        strings = [v for v in values if isinstance(v, str)]
        if len(strings) != len(values):
            raise FactParseError(KIND, f"entry {node.get('target')!r} lacks a string field")
        out.append(Mount(*strings))
        _walk(node.get("children", []), out)


def _unescape(field: str) -> str:
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


def parse(text: str) -> Mounts:
    """Parse findmnt JSON (text starting with '{') or /proc/mounts lines."""
    require_text(KIND, text)
    out: list[Mount] = []
    if text.lstrip().startswith("{"):
        data = load_json(KIND, text)
        if not isinstance(data, dict) or "filesystems" not in data:
            raise FactParseError(KIND, "findmnt JSON has no 'filesystems' key")
        _walk(data["filesystems"], out)
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            fields = line.split()
            if len(fields) != 6 or not (fields[4].isdigit() and fields[5].isdigit()):
                raise FactParseError(KIND, f"line {number}: not a /proc/mounts line: {line!r}")
            source, target, fstype, options = (_unescape(f) for f in fields[:4])
            out.append(Mount(target=target, source=source, fstype=fstype, options=options))
    if not out:
        raise FactParseError(KIND, "no mounts")
    return Mounts(mounts=tuple(out))
