"""NVIDIA IMEX readiness from ``nvidia-imex-ctl -q`` (fact `ImexStatus`).

GB200 NVL72 racks share GPU memory across trays through the IMEX daemon (``nvidia-imex``); a
tray whose daemon is not ``READY`` cannot join multi-node NVLink jobs. oci-hpc's imex role
starts the service and waits until ``nvidia-imex-ctl -q`` prints exactly ``READY``
(playbooks/roles/imex/tasks/main.yml @ 758a83f3: ``stdout | trim == "READY"``). The output is
one word; anything else (prose, several lines, garbage) is a parse error, never a pass::

    READY   ->  {"state": "READY", "ready": true}

No output of a real GB200 has been recorded here: the format is that of oci-hpc's check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bootstrap.facts.base import Fact, require_text
from bootstrap.facts.errors import FactParseError

KIND = "imex"
COMMAND = "timeout 10 nvidia-imex-ctl -q"
_STATE = re.compile(r"^[A-Z][A-Z_]*$")


@dataclass(frozen=True)
class ImexStatus(Fact):
    state: str

    @property
    def ready(self) -> bool:
        return self.state == "READY"


def parse(text: str) -> ImexStatus:
    require_text(KIND, text)
    state = text.strip()
    if not _STATE.match(state):
        raise FactParseError(KIND, f"{state[:60]!r} is not one IMEX state word (e.g. READY)")
    return ImexStatus(state)
