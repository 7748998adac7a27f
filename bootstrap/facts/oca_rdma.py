"""Status of the OCA "Compute HPC RDMA Auto-Configuration" plugin (fact `OcaRdmaStatus`).

The plugin writes ``/var/run/oci-hpc/oci-hpc-rdma-configure.json``, a JSON object whose
``"state"`` is ``"COMPLETED"`` once RDMA interfaces are configured (oci-hpc check_gpu_setup.py
``check_oca_status`` reads only ``data["state"]``; facts/oci.md §3.4, §5.1). Other keys are kept
as strings for the report. Example::

    {"state": "COMPLETED", "completed": true, "other": {}}
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bootstrap.facts.base import Fact, load_json, req_str
from bootstrap.facts.errors import FactParseError

KIND = "oca-rdma"
PATH = "/var/run/oci-hpc/oci-hpc-rdma-configure.json"
COMMAND = f"timeout 10 cat {PATH}"


@dataclass(frozen=True)
class OcaRdmaStatus(Fact):
    state: str
    completed: bool
    other: dict[str, str] = field(default_factory=dict)


def parse(text: str) -> OcaRdmaStatus:
    data = load_json(KIND, text)
    if not isinstance(data, dict):
        raise FactParseError(KIND, "expected a JSON object")
    state = req_str(KIND, data, "state")
    other = {k: str(v) for k, v in sorted(data.items()) if k != "state"}
    return OcaRdmaStatus(state=state, completed=state == "COMPLETED", other=other)
