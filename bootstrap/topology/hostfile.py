"""Rank order: nodes of one local block together, local blocks of one network block together,
network blocks of one HPC island together, so ring/tree neighbours cross the fewest switch tiers
(oci-hpc ``node_ordering_by_rack.py``; facts/oci.md §5.4). Groups and nodes sort by id and name,
so the order never depends on the input order.

    >>> print(render_hostfile(order(placements), slots=8), end="")
    10.0.0.5 slots=8
    10.0.0.7 slots=8
"""

from __future__ import annotations

from collections.abc import Iterable

from bootstrap.topology.placement import Placement


def _key(p: Placement) -> tuple[str, str, str, str]:
    return (p.island or "", p.network_block or "", p.local_block, p.node)


def order(placements: Iterable[Placement]) -> list[Placement]:
    return sorted(placements, key=_key)


def render_hostfile(placements: Iterable[Placement], *, slots: int | None = None) -> str:
    """One host per line in the given order, ``slots=N`` appended when given."""
    return hostfile_text((p.host for p in placements), slots=slots)


def hostfile_text(hosts: Iterable[str], *, slots: int | None = None) -> str:
    """Open MPI's hostfile: ``HOST`` or ``HOST slots=N`` per line, in rank order (checked by
    the real mpirun in tests/health/test_mpirun_open_mpi.py)."""
    suffix = f" slots={slots}" if slots else ""
    return "".join(f"{host}{suffix}\n" for host in hosts)
