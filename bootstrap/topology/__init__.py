"""Fabric topology of a pool from IMDS ``/opc/v2/host`` facts: rank order and Slurm's tree.

`placement` reads where a node sits (HPC island ⊃ network block ⊃ local block), `hostfile`
orders nodes so neighbours share the closest switch, `slurm` writes ``topology.conf``. All pure.
"""

from bootstrap.topology.hostfile import order, render_hostfile
from bootstrap.topology.placement import Placement, place
from bootstrap.topology.slurm import topology_conf

__all__ = ["Placement", "order", "place", "render_hostfile", "topology_conf"]
