"""NVLink: every GPU has the shape's number of active links, each at least the catalog's speed
(oci-hpc check_gpu_setup.py NVLink count/speed, get_nvlink_speed: H100/H200 18 x 25 GB/s,
B200/GB200 18 x 50 GB/s, A100 12 x 25 GB/s; facts/oci.md §5.1)."""

from __future__ import annotations

from bootstrap.facts.nvlink import GpuNvlinks, NvlinkStatus
from bootstrap.health.findings import Finding, error
from bootstrap.health.node_facts import NodeFacts
from infra.shapes import Shape

REMEDY = (
    "check `nvidia-smi nvlink --status -i {gpu}` and `nvidia-smi -q | grep -A2 Fabric`; restart "
    "nvidia-fabricmanager and reset the GPU (`nvidia-smi -r -i {gpu}`) or reboot; links still "
    "down after a reboot are a hardware fault: quarantine the node and replace it"
)


def applies(shape: Shape) -> bool:
    return shape.gpu_vendor == "nvidia" and bool(shape.nvlink_links)


def _gpu(g: GpuNvlinks, links: int, gbs: int) -> Finding | None:
    active = g.active
    slow = [f"{link.link} ({link.gbs:g} GB/s)" for link in active if (link.gbs or 0) < gbs]
    problems = []
    if len(active) < links:
        problems.append(f"{len(active)} of {links} NVLinks active")
    if slow:
        problems.append(f"link(s) below {gbs} GB/s: {', '.join(slow)}")
    if not problems:
        return None
    return error(
        f"nvlink:{g.index}",
        f"GPU {g.index} ({g.name}): {'; '.join(problems)}",
        REMEDY.format(gpu=g.index),
    )


def check_nvlink(facts: NodeFacts, shape: Shape) -> list[Finding]:
    links, gbs = shape.nvlink_links or 0, shape.nvlink_gbs_per_link or 0
    status = facts.need("nvlink", NvlinkStatus)
    findings = [f for g in status.gpus if (f := _gpu(g, links, gbs)) is not None]
    if len(status.gpus) < shape.gpu_count:
        # nvidia-smi lists only GPUs that expose NVLinks: a GPU absent here has none active
        # (a missing GPU as such is the gpu-count check's finding).
        seen = ", ".join(str(g.index) for g in status.gpus) or "none"
        findings.append(
            error(
                "nvlink:missing",
                f"only {len(status.gpus)} of {shape.gpu_count} GPUs report NVLinks (GPUs listed:"
                f" {seen}); each needs {links} active links",
                REMEDY.format(gpu="N") + "; on a VM, the NVLinks of a GPU passed through alone"
                " are not visible: such a machine is not this shape",
            )
        )
    return findings
