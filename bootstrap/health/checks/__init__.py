"""The table of node checks and the loop that runs them all.

Each `Check` is a family name (what ``--ignore-check`` accepts), the fact kinds it needs, which
shapes it applies to, and a pure function ``(NodeFacts, Shape) -> list[Finding]``. `run_checks`
runs every applicable check, always: a needed fact that is missing or unparseable becomes an
error finding of that check (never a pass), and so does a bug in a check.

    >>> [c.name for c in CHECKS][:3]
    ['gpu-count', 'gpu-model', 'gpu-ecc']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bootstrap.facts.registry import FACTS
from bootstrap.health.checks import dot1x, fabric, gpu, identity, oca, rdma, storage, xid
from bootstrap.health.findings import Finding, error
from bootstrap.health.node_facts import GPU_KEYS, FactUnavailable, NodeFacts
from infra.shapes import Shape

CheckFn = Callable[[NodeFacts, Shape], list[Finding]]


def _always(shape: Shape) -> bool:
    return True


def _nvidia(shape: Shape) -> bool:
    return shape.gpu_vendor == "nvidia"


@dataclass(frozen=True)
class Check:
    name: str
    needs: tuple[str, ...]  # fact kinds (FACTS keys) gathered for it
    run: CheckFn
    applies: Callable[[Shape], bool] = _always


_GPU = ("nvidia-smi-xml",)
_RDMA = ("ibdev2netdev", "ip-addr")

CHECKS: tuple[Check, ...] = (
    Check("gpu-count", _GPU, gpu.check_count, _nvidia),
    Check("gpu-model", _GPU, gpu.check_model, _nvidia),
    Check("gpu-ecc", _GPU, gpu.check_ecc, _nvidia),
    Check("gpu-row-remap", _GPU, gpu.check_row_remap, _nvidia),
    Check("gpu-pcie", _GPU, gpu.check_pcie, _nvidia),
    Check("gpu-throttle", _GPU, gpu.check_throttle, _nvidia),
    Check("gpu-persistence", _GPU, gpu.check_persistence, _nvidia),
    Check("gpu-xid", ("xid",), xid.check_xid, _nvidia),
    Check("fabric-manager", ("fabric-manager",), fabric.check_fabric, fabric.applies),
    Check("rdma-link", ("ibdev2netdev",), rdma.check_links, rdma.applies),
    Check("rdma-address", _RDMA, rdma.check_addresses, rdma.applies),
    Check("rdma-mtu", _RDMA, rdma.check_mtu, rdma.applies),
    Check("dot1x", ("ibdev2netdev", "wpa-cli"), dot1x.check_dot1x, rdma.applies),
    Check("oca-rdma", ("oca-rdma",), oca.check_oca, rdma.applies),
    Check("local-nvme", ("mounts",), storage.check_scratch, storage.applies),
    Check("shape-match", ("imds-instance",), identity.check_shape),
)
CHECK_NAMES: tuple[str, ...] = tuple(c.name for c in CHECKS)


def _fact_command(key: str) -> str:
    kind = FACTS.get(key.split(".", 1)[0])
    return f"`{kind.command}`" if kind else "its command"


def _unavailable(check: Check, exc: FactUnavailable) -> Finding:
    return error(
        check.name,
        f"cannot verify: {exc}",
        f"run {_fact_command(exc.key)} on the node and fix what stops it (missing tool, driver "
        f"not loaded, output cut); to admit the node anyway: --ignore-check {check.name}",
    )


def applicable(shape: Shape) -> tuple[Check, ...]:
    return tuple(c for c in CHECKS if c.applies(shape))


def run_checks(facts: NodeFacts, shape: Shape, checks: tuple[Check, ...] = CHECKS) -> list[Finding]:
    """Every applicable check's findings, in table order."""
    findings: list[Finding] = []
    for check in checks:
        if not check.applies(shape):
            continue
        try:
            findings.extend(check.run(facts, shape))
        except FactUnavailable as exc:
            findings.append(_unavailable(check, exc))
        except Exception as exc:  # a bug in one check must not pass the node or stop the others
            findings.append(
                error(check.name, f"internal error in the check: {exc!r}", "report a gpufleet bug")
            )
    return findings


def needed_kinds(shape: Shape) -> tuple[str, ...]:
    """Fact kinds to gather from a node of `shape`, in a stable order."""
    kinds = [k for c in applicable(shape) for k in c.needs]
    return tuple(dict.fromkeys(kinds))


__all__ = ["CHECKS", "CHECK_NAMES", "GPU_KEYS", "Check", "needed_kinds", "run_checks"]
