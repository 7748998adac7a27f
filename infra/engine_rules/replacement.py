"""Replacements the engine would start but OCI would refuse: a name unique in its subnet.

The engine replaces create-before-delete unless the resource sets deleteBeforeReplace
(pulumi/pulumi pkg/resource/deploy/step_generator.go: "CreateBeforeDelete: the default mode").
OCI requires a VNIC's hostname label to be unique in its subnet (docs.oracle.com, API
CreateVnicDetails.hostnameLabel and CreateMountTargetDetails.hostnameLabel: "Must be unique
across all VNICs in the subnet"), so a replacement created beside the old resource with the same
fixed label fails at create. Such a resource must delete first, or carry a label that changes
with every replacement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# wire paths of labels that must be unique in the subnet
UNIQUE_IN_SUBNET = ("createVnicDetails.hostnameLabel", "hostnameLabel")


def _label(inputs: Mapping[str, Any]) -> str | None:
    for path in UNIQUE_IN_SUBNET:
        value: Any = inputs
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if isinstance(value, str) and value:
            return value
    return None


def unreplaceable(resources: Iterable[Mapping[str, Any]]) -> list[str]:
    """Names of plan-manifest resources whose replacement would fail on a duplicate label."""
    return sorted(
        f"{r['name']} (hostname label {_label(r.get('inputs') or {})!r})"
        for r in resources
        if _label(r.get("inputs") or {}) and not r.get("delete_before_replace")
    )
