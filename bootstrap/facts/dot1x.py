"""802.1X (EAP-TLS) state of one RDMA port from ``wpa_cli status`` (fact `Dot1xStatus`).

``wpa_cli status`` prints ``key=value`` lines; keys may contain spaces
(``Supplicant PAE state=AUTHENTICATED``, ``EAP state=SUCCESS``). The cluster network admits a
port only when ``Supplicant PAE state=AUTHENTICATED`` (oci-hpc check_gpu_setup.py
``check_wpa_auth``; recorded fixture ``wpa_cli_status_rdma_8021x_authenticated.txt``; facts/oci.md
§3.5). Example::

    {"wpa_state": "COMPLETED", "pae_state": "AUTHENTICATED", "eap_state": "SUCCESS",
     "port_status": null, "authenticated": true}
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from bootstrap.facts.base import Fact, is_prompt, require_text
from bootstrap.facts.errors import FactParseError

KIND = "wpa-cli"
# Per interface; fill with `command_for("rdma0")`.
COMMAND = "timeout 10 wpa_cli -i {interface} status"
_LINE = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_ ]*)=(?P<value>.*)$")


def command_for(interface: str) -> str:
    return COMMAND.format(interface=shlex.quote(interface))


@dataclass(frozen=True)
class Dot1xStatus(Fact):
    wpa_state: str
    pae_state: str | None
    eap_state: str | None
    port_status: str | None  # suppPortStatus, e.g. "Authorized"; absent in grep'd output
    authenticated: bool


def parse(text: str) -> Dot1xStatus:
    require_text(KIND, text)
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or is_prompt(line):
            continue
        match = _LINE.match(line)
        if not match:
            raise FactParseError(KIND, f"line {number}: {line!r} is not key=value")
        values[match["key"]] = match["value"]
    wpa_state = values.get("wpa_state")
    if not wpa_state:
        raise FactParseError(KIND, "no 'wpa_state=' line: not wpa_cli status output")
    pae = values.get("Supplicant PAE state")
    port = values.get("suppPortStatus")
    return Dot1xStatus(
        wpa_state=wpa_state,
        pae_state=pae,
        eap_state=values.get("EAP state"),
        port_status=port,
        authenticated=pae == "AUTHENTICATED" and port in (None, "Authorized"),
    )
