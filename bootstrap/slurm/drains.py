"""The script that makes Slurm's drains follow gpufleet's quarantine list, run on the
controller: quarantined nodes drained with reason ``gpufleet-quarantine``, released ones resumed;
drains by operators or by the health program (``gpufleet-health:...``) are never touched.

    >>> "gpufleet-quarantine" in sync_drains_script("train", ["h100-0007"])
    True
"""

from __future__ import annotations

from collections.abc import Iterable

from bootstrap.render.jinja import render_text
from bootstrap.slurm.members import QUARANTINE_REASON


def sync_drains_script(cluster: str, quarantined: Iterable[str], scontrol: str = "scontrol") -> str:
    """The bash script for the controller (names are checked by the shell-quoting filter)."""
    return render_text(
        "slurm/sync_drains.sh.j2",
        cluster=cluster,
        mark=QUARANTINE_REASON,
        quarantined=sorted(set(quarantined)),
        scontrol=scontrol,
    )
