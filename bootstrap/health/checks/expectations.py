"""What a node must show beyond its shape: values the stack config sets per pool, not the shape
catalog. Passed to the checks that need them (`Check.expects`); everything else reads `Shape`.

    >>> NodeExpectations(gpu_power_cap_w=500)
    NodeExpectations(gpu_power_cap_w=500)

Sources: `gpufleet health` reads them from the inventory's ``pools`` section (from the stack
outputs), the node checker from its command line (rendered from the pool's config).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NodeExpectations:
    gpu_power_cap_w: int | None = None  # pools[].gpu_power_cap_w; None: the pool sets no cap


NO_EXPECTATIONS = NodeExpectations()
