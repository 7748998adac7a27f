"""Slurm hostlist expressions: ``h100-0001 … h100-0128`` written as ``h100-[0001-0128]``.

Names that share a prefix and a zero-padded numeric tail of one width fold into ranges; other
names stay as they are. Slurm expands the same syntax back (slurm.conf(5) "NodeName ... may be
a simple node range"), so a 12,750-node pool is one short line.

    >>> compress(["gpu-0001", "gpu-0002", "gpu-0004", "login"])
    'gpu-[0001-0002,0004],login'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_TAIL = re.compile(r"^(.*?)(\d+)$")


def _ranges(numbers: list[int], width: int) -> str:
    parts, start, prev = [], numbers[0], numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(
            f"{start:0{width}d}" if start == prev else f"{start:0{width}d}-{prev:0{width}d}"
        )
        if n is not None:
            start = prev = n
    return ",".join(parts)


def compress(names: Iterable[str]) -> str:
    """One hostlist expression for `names` (duplicates dropped, groups in first-seen order)."""
    groups: dict[tuple[str, int], list[int]] = {}
    plain: dict[str, None] = {}
    order: list[tuple[str, int] | str] = []
    for name in dict.fromkeys(names):
        m = _TAIL.match(name)
        if m is None or "[" in name or "," in name:
            plain[name] = None
            order.append(name)
            continue
        key = (m.group(1), len(m.group(2)))
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(int(m.group(2)))
    out = []
    for item in order:
        if isinstance(item, str):
            out.append(item)
            continue
        numbers = sorted(set(groups[item]))
        prefix, width = item
        if len(numbers) == 1:
            out.append(f"{prefix}{numbers[0]:0{width}d}")
        else:
            out.append(f"{prefix}[{_ranges(numbers, width)}]")
    return ",".join(out)
