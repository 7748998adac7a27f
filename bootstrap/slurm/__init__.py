"""Slurm on top of the pools: who is in the cluster (`members`), the data its files are made
of (`conf`, `site`), and the rendered files (`render`). Pure: nothing here touches a host."""

from bootstrap.slurm.render import FILES, render_slurm
from bootstrap.slurm.site import SlurmSite

__all__ = ["FILES", "SlurmSite", "render_slurm"]
