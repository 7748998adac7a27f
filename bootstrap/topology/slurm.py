"""Slurm ``topology.conf`` for the tree plugin (``TopologyPlugin=topology/tree``).

One leaf switch per local block lists its nodes; a switch per network block lists its leaves; a
switch per HPC island lists its network blocks; with several islands (or none known) a ``root``
joins the tops. Names are ``lb-``/``nb-``/``isl-`` plus the shortest unique tail of the id
(Slurm switch names must stay short: oci-hpc's "Shorten the RackIDs to avoid scheduling errors";
≤ 64 characters here). Node lists are Slurm hostlist expressions. Example::

    SwitchName=lb-ab12cd34ef56 Nodes=gpu-[1-2]
    SwitchName=nb-0f9e8d7c6b5a Switches=lb-ab12cd34ef56
    SwitchName=isl-1a2b3c4d5e6f Switches=nb-0f9e8d7c6b5a
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bootstrap.topology.hostfile import order
from bootstrap.topology.placement import Placement
from bootstrap.topology.slurm_hostlist import compress

MAX_NAME = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_MIN_TAIL = 12


def short_names(ids: Iterable[str], prefix: str) -> dict[str, str]:
    """id -> ``prefix`` + the shortest common-length id tail unique among `ids` (≤ 64 chars)."""
    unique = sorted(set(ids))
    cleaned = {i: _UNSAFE.sub("", i) or "x" for i in unique}
    room = MAX_NAME - len(prefix)
    for length in range(_MIN_TAIL, room + 1):
        names = {i: prefix + c[-length:] for i, c in cleaned.items()}
        if len(set(names.values())) == len(names):
            return names
    # Tails equal even at full length (ids differing only in unsafe characters): number them.
    return {i: f"{prefix}{n}-{cleaned[i][-(room - 8) :]}" for n, i in enumerate(unique)}


def topology_conf(placements: Iterable[Placement]) -> str:
    ordered = order(placements)
    if not ordered:
        return ""
    nb_of = {p.local_block: p.network_block or f"rack-group-{p.local_block}" for p in ordered}
    isl_of = {nb_of[p.local_block]: p.island or "unknown" for p in ordered}
    lb_names = short_names(nb_of, "lb-")
    nb_names = short_names(isl_of, "nb-")
    isl_names = short_names(set(isl_of.values()), "isl-")
    lines = []
    for lb in dict.fromkeys(p.local_block for p in ordered):
        nodes = compress(p.node for p in ordered if p.local_block == lb)
        lines.append(f"SwitchName={lb_names[lb]} Nodes={nodes}")
    for nb in dict.fromkeys(nb_of.values()):
        leaves = ",".join(lb_names[lb] for lb, parent in nb_of.items() if parent == nb)
        lines.append(f"SwitchName={nb_names[nb]} Switches={leaves}")
    islands = list(dict.fromkeys(isl_of.values()))
    for isl in islands:
        children = ",".join(nb_names[nb] for nb, parent in isl_of.items() if parent == isl)
        lines.append(f"SwitchName={isl_names[isl]} Switches={children}")
    if len(islands) > 1:
        lines.append(f"SwitchName=root Switches={','.join(isl_names[i] for i in islands)}")
    return "\n".join(lines) + "\n"
