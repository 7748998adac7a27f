"""The policy pack's rules, run offline over a plan manifest by `plan` and `diff`."""

from __future__ import annotations

from typing import Any


def violations(plan: Any) -> list[Any]:
    """Every policy violation of an offline plan (policy/offline.py), sorted."""
    from policy.offline import check_manifest

    return check_manifest(plan.manifest(), plan.config)


def has_mandatory(found: list[Any]) -> bool:
    return any(v.mandatory for v in found)


def markdown(found: list[Any]) -> str:
    if not found:
        return "\n### Policies\n\nAll policies pass.\n"
    lines = ["", "### Policies", ""]
    lines += [
        f"- {'**mandatory**' if v.mandatory else 'advisory'} `{v.policy}` on "
        f"`{v.resource}`: {v.message}"
        for v in found
    ]
    return "\n".join(lines) + "\n"
