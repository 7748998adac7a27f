"""IMEX on GB200 NVL72 trays: the ``nvidia-imex`` daemon reports ``READY`` (oci-hpc imex role,
`bootstrap.facts.imex`). Applies to shapes built as GPU memory clusters (one NVLink domain per
rack), where multi-node NVLink needs it."""

from __future__ import annotations

from bootstrap.facts.imex import ImexStatus
from bootstrap.health.findings import Finding, error
from bootstrap.health.node_facts import NodeFacts
from infra.shapes import Shape


def applies(shape: Shape) -> bool:
    return shape.needs_gpu_memory_cluster


def check_imex(facts: NodeFacts, shape: Shape) -> list[Finding]:
    status = facts.need("imex", ImexStatus)
    if status.ready:
        return []
    return [
        error(
            "imex",
            f"IMEX is {status.state}, not READY: this tray cannot join multi-node NVLink jobs",
            "check /etc/nvidia-imex/nodes_config.cfg lists the rack's trays, then "
            "`sudo systemctl restart nvidia-imex` and `nvidia-imex-ctl -q`; a tray that stays "
            "not READY: quarantine it and replace it",
        )
    ]
