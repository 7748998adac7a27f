"""Slurm hostlist expressions: ``h100-0001 … h100-0128`` written as ``h100-[0001-0128]``.

Names keep their order (Slurm numbers nodes in the order slurm.conf lists them, and that order
is the topology order): runs of names with one prefix and a zero-padded numeric tail of one
width, each number one above the last, fold into a range; neighbouring runs of one prefix share
a bracket. Slurm expands the same syntax back (slurm.conf(5) "NodeName ... node range"), so a
12,750-node pool is one short line.

    >>> compress(["gpu-0001", "gpu-0002", "gpu-0004", "login"])
    'gpu-[0001-0002,0004],login'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_TAIL = re.compile(r"^(.*?)(\d+)$")


def _runs(names: Iterable[str]) -> list[tuple[str, int, int, int] | str]:
    """(prefix, width, first, last) per run of consecutive numbers, or a plain name."""
    runs: list[tuple[str, int, int, int] | str] = []
    for name in dict.fromkeys(names):
        m = _TAIL.match(name)
        if m is None or "[" in name or "," in name:
            runs.append(name)
            continue
        prefix, width, n = m.group(1), len(m.group(2)), int(m.group(2))
        last = runs[-1] if runs else None
        if isinstance(last, tuple) and last[:2] == (prefix, width) and last[3] + 1 == n:
            runs[-1] = (prefix, width, last[2], n)
        else:
            runs.append((prefix, width, n, n))
    return runs


def compress(names: Iterable[str]) -> str:
    """One hostlist expression for `names`, in their order (duplicates dropped)."""
    groups: list[tuple[str, int, list[str]] | str] = []
    for run in _runs(names):
        if isinstance(run, str):
            groups.append(run)
            continue
        prefix, width, first, last = run
        text = f"{first:0{width}d}" if first == last else f"{first:0{width}d}-{last:0{width}d}"
        prev = groups[-1] if groups else None
        if isinstance(prev, tuple) and prev[:2] == (prefix, width):
            prev[2].append(text)
        else:
            groups.append((prefix, width, [text]))
    out = []
    for group in groups:
        if isinstance(group, str):
            out.append(group)
        elif len(group[2]) == 1 and "-" not in group[2][0]:
            out.append(group[0] + group[2][0])
        else:
            out.append(f"{group[0]}[{','.join(group[2])}]")
    return ",".join(out)
