"""local_nvme: the shape's NVMe data drives as one RAID0 (xfs), mounted and in fstab.

Source: HPC@v3 = github.com/oracle-quickstart/oci-hpc @ b5285a68, role localdisk.
"""

from __future__ import annotations

from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData

NVME_MOUNT = "/mnt/localdisk"  # HPC@v3 localdisk role nvme_path
# HPC@v3 localdisk: "defaults,nofail,noatime,discard" (nofail: a dead drive never blocks boot)
NVME_FSTAB_OPTS = "defaults,nofail,noatime,discard"
NVME_LABEL = "localdisk"  # xfs labels are at most 12 characters
MD_DEV = "/dev/md0"


def build(inp: PoolInput) -> StepData:
    count = inp.shape.nvme_count
    return StepData(
        name="local_nvme",
        action=f"assemble {count} NVMe data drives as RAID0 (xfs) on {NVME_MOUNT}",
        params={"count": count, "mount": NVME_MOUNT, "opts": NVME_FSTAB_OPTS},
        vars={
            "count": count,
            "mount": NVME_MOUNT,
            "label": NVME_LABEL,
            "opts": NVME_FSTAB_OPTS,
            "md_dev": MD_DEV,
        },
    )
