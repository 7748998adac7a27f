"""Identity of an instance from IMDS ``/opc/v2/instance/`` (fact `InstanceMetadata`).

Keys per the recorded ``imds_v2_instance_BM.GPU.H100.8.json`` fixture. ``shape`` and ``id`` are
required (without them the node cannot be matched to the plan); the rest may be absent → None.
Example::

    {"shape": "BM.GPU.H100.8", "display_name": "BIO-2334XLG08T", "hostname": "bio-2334xlg08t",
     "availability_domain": "kWVD:US-rekharoy-1-AD-3", "fault_domain": "FAULT-DOMAIN-1",
     "freeform_tags": {"hostSerial": "2334XLG08T"}, "plugins": {"Compute HPC RDMA
     Authentication": "ENABLED", …}, "state": "Running", …}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bootstrap.facts.base import Fact, load_json, opt_str, req_str
from bootstrap.facts.errors import FactParseError

KIND = "imds-instance"
COMMAND = (
    "timeout 10 curl -sSf --max-time 5 -H 'Authorization: Bearer Oracle' "
    "http://169.254.169.254/opc/v2/instance/"
)


@dataclass(frozen=True)
class InstanceMetadata(Fact):
    instance_id: str
    shape: str
    display_name: str | None
    hostname: str | None
    availability_domain: str | None
    fault_domain: str | None
    region: str | None
    state: str | None
    freeform_tags: dict[str, str] = field(default_factory=dict)
    # Oracle Cloud Agent plugin name -> desiredState ("ENABLED"/"DISABLED")
    plugins: dict[str, str] = field(default_factory=dict)


def _string_map(name: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise FactParseError(KIND, f"{name!r} is not an object of strings")
    return dict(sorted(value.items()))


def _plugins(agent: Any) -> dict[str, str]:
    if agent is None:
        return {}
    configs = agent.get("pluginsConfig", []) if isinstance(agent, dict) else None
    if not isinstance(configs, list):
        raise FactParseError(KIND, "'agentConfig.pluginsConfig' is not a list")
    plugins = {}
    for entry in configs:
        if not isinstance(entry, dict):
            raise FactParseError(KIND, "a pluginsConfig entry is not an object")
        plugins[req_str(KIND, entry, "name")] = req_str(KIND, entry, "desiredState")
    return dict(sorted(plugins.items()))


def parse(text: str) -> InstanceMetadata:
    data = load_json(KIND, text)
    if not isinstance(data, dict):
        raise FactParseError(KIND, "expected a JSON object")
    return InstanceMetadata(
        instance_id=req_str(KIND, data, "id"),
        shape=req_str(KIND, data, "shape"),
        display_name=opt_str(KIND, data, "displayName"),
        hostname=opt_str(KIND, data, "hostname"),
        availability_domain=opt_str(KIND, data, "availabilityDomain"),
        fault_domain=opt_str(KIND, data, "faultDomain"),
        region=opt_str(KIND, data, "canonicalRegionName") or opt_str(KIND, data, "region"),
        state=opt_str(KIND, data, "state"),
        freeform_tags=_string_map("freeformTags", data.get("freeformTags")),
        plugins=_plugins(data.get("agentConfig")),
    )
