"""Local NVMe scratch mounted at /mnt/localdisk (the oci-hpc layout, facts/oci.md §4.4). A
warning only: jobs run without it, slower."""

from __future__ import annotations

from bootstrap.facts.mounts import Mounts
from bootstrap.health.findings import Finding, warning
from bootstrap.health.node_facts import NodeFacts
from infra.shapes import Shape

SCRATCH = "/mnt/localdisk"


def applies(shape: Shape) -> bool:
    return bool(shape.nvme_count)


def check_scratch(facts: NodeFacts, shape: Shape) -> list[Finding]:
    if facts.need("mounts", Mounts).at(SCRATCH) is not None:
        return []
    return [
        warning(
            "local-nvme",
            f"no filesystem mounted at {SCRATCH} ({shape.nvme_count} NVMe drives expected)",
            "re-run the bootstrap step that assembles the NVMe RAID and mounts it",
        )
    ]
