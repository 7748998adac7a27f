"""The instance is the shape the inventory says (IMDS ``/opc/v2/instance/``): expected values of
every other check come from that shape."""

from __future__ import annotations

from bootstrap.facts.instance_metadata import InstanceMetadata
from bootstrap.health.findings import Finding, error
from bootstrap.health.node_facts import NodeFacts
from infra.shapes import Shape


def check_shape(facts: NodeFacts, shape: Shape) -> list[Finding]:
    meta = facts.need("imds-instance", InstanceMetadata)
    if meta.shape == shape.name:
        return []
    return [
        error(
            "shape-match",
            f"instance reports shape {meta.shape}, inventory says {shape.name}",
            "regenerate the inventory from the stack outputs, or fix the node's pool shape",
        )
    ]
