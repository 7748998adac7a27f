"""`gpufleet plan`: run the real Pulumi program under Pulumi's mock runtime, in preview mode,
and turn what it registered into a deterministic manifest.

Manifest (JSON, keys sorted, same input -> byte-identical output):

    {"resources": [{"type": "oci:Core/clusterNetwork:ClusterNetwork", "name": "dev-h100-cn",
                    "parent": "dev-h100", "inputs": {...}, "protect": true}, ...],
     "summary": {"pools": [{"name": "h100", "shape": "BM.GPU.H100.8", "nodes": 2, "gpus": 16,
                            "usd_per_hour": 160.0, "kw": 20.4, ...}],
                 "total_gpus": 16, "total_usd_per_hour": 160.0, "total_kw": 20.4}}
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi.errors import RunError

from infra.capacity import Capacity, summarize
from infra.config import ConfigError, Problem, StackConfig, load_stack_file
from infra.config.load import to_pulumi_config
from infra.config.stack_file import EXAMPLE_STACK
from infra.offline.recorder import RecordingMocks, RecordingMonitor

PROJECT = "gpufleet"


@dataclass(frozen=True)
class Plan:
    config: StackConfig
    resources: list[dict[str, Any]]
    capacity: Capacity
    outputs: dict[str, Any]

    def manifest(self) -> dict[str, Any]:
        summary = self.capacity.to_dict()
        return {"resources": self.resources, "summary": summary}

    def to_json(self) -> str:
        return json.dumps(self.manifest(), indent=2, sort_keys=True) + "\n"


def _urn_name(urn: str) -> str | None:
    """The resource name in a URN; None for the root stack (top-level resources)."""
    if not urn:
        return None
    type_chain, _, name = urn.rpartition("::")
    return None if type_chain.endswith("pulumi:pulumi:Stack") else name


def _run_program(
    config_map: dict[str, str],
    stack: str,
    *,
    preview: bool = True,
    mocks: RecordingMocks | None = None,
) -> tuple[RecordingMocks, dict[str, Any]]:
    """Run the program once under the mock runtime; returns the mocks and the stack outputs
    (resolved values where known; `preview=False` mimics `up`, where lookups run)."""
    import pulumi
    from pulumi.runtime import settings

    from infra import program

    mocks = mocks or RecordingMocks()
    resolved: dict[str, Any] = {}
    # One fresh event loop per run, installed before the mock runtime creates the root stack.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # A fresh root stack per run: otherwise exports of an earlier run leak into this one.
    settings.ROOT.set(None)
    pulumi.runtime.set_all_config(config_map)
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=stack, preview=preview, monitor=RecordingMonitor(mocks)
    )

    def run() -> Any:
        program.main()
        root = settings.get_root_resource()
        outputs = dict(getattr(root, "outputs", {}) or {})
        resolved.update(outputs)  # raw Outputs; replaced below where their values are known
        return pulumi.Output.from_input(outputs).apply(resolved.update)

    try:
        pulumi.runtime.test(run)()
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return mocks, resolved


def run_plan(
    stack_file: str | Path = EXAMPLE_STACK, config_map: dict[str, str] | None = None
) -> Plan:
    """Validate `stack_file` (ConfigError lists every problem) and plan it offline.

    `config_map`: the config as the engine hands it to the program (Pulumi.yaml defaults
    filled in, infra.engine_rules); default: the stack file's own keys."""
    config = load_stack_file(stack_file)  # fails before any Pulumi import or resource
    stack = Path(stack_file).name.removeprefix("Pulumi.").removesuffix(".yaml") or "stack"
    if config_map is None:
        config_map = to_pulumi_config(stack_file)
    try:
        mocks, outputs = _run_program(config_map, stack)
    except RunError as exc:  # the program refused the config (e.g. user data over OCI's cap)
        message, _, fix = str(exc).partition("; fix: ")
        raise ConfigError(
            [Problem("(program)", "(the stack)", message, fix or "see the message")],
            str(stack_file),
        ) from None
    resources = []
    for reg in mocks.registrations.values():
        if reg.type == "pulumi:pulumi:Stack":
            continue
        resources.append(
            {
                "type": reg.type,
                "name": reg.name,
                "parent": _urn_name(reg.parent_urn),
                "inputs": reg.inputs,
                "protect": reg.protect,
                **({"custom_timeouts": reg.custom_timeouts} if reg.custom_timeouts else {}),
                **(
                    {"replacement_trigger": reg.replacement_trigger}
                    if reg.replacement_trigger
                    else {}
                ),
                **({"ignore_changes": list(reg.ignore_changes)} if reg.ignore_changes else {}),
                **({"delete_before_replace": True} if reg.delete_before_replace else {}),
            }
        )
    resources.sort(key=lambda r: (r["type"], r["name"]))
    return Plan(config, resources, summarize(config), outputs)
