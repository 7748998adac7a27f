"""The oldest Pulumi CLI and Python SDK this project runs on, each floor with its reason.

A CLI older than a feature does not fail: it ignores what it does not know (a protobuf field it
never reads), so these floors are stated in the README and the SDK one is pinned in
pyproject.toml (a test keeps the three in step).
"""

from __future__ import annotations

# (version, what needs it, source: pulumi/pulumi CHANGELOG.md)
CLI_FLOORS: tuple[tuple[tuple[int, int], str, str], ...] = (
    ((3, 44), "typed project config declarations", "3.44.0, project-level config"),
    ((3, 186), "`type: object` in Pulumi.yaml config", "3.186.0 #20129"),
    ((3, 187), "stack values checked against `type: object`", "3.187.0"),
    (
        (3, 208),
        "the replacement_trigger resource option (replace_nodes in compute clusters); older "
        "engines drop it silently and never replace the node",
        "3.208.0 #20936",
    ),
)
SDK_FLOORS: tuple[tuple[tuple[int, int], str, str], ...] = (
    (
        (3, 214),
        "ResourceOptions(replacement_trigger=...); older SDKs raise TypeError",
        "3.214.0 #20940",
    ),
)

MIN_CLI = max(v for v, _, _ in CLI_FLOORS)
MIN_SDK = max(v for v, _, _ in SDK_FLOORS)


def dotted(version: tuple[int, int]) -> str:
    return ".".join(str(p) for p in version)
