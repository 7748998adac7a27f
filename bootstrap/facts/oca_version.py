"""The installed Oracle Cloud Agent version (fact `OcaVersion`).

OCA is an RPM on Oracle Linux and a snap on Ubuntu (docs.oracle.com "Enabling GPU metrics with
the OCA HPC plugin": ``yum info oracle-cloud-agent`` / ``snap info oracle-cloud-agent``); a deb
is accepted too. The command asks each package manager in turn and prints what the first one
that knows the package says::

    oracle-cloud-agent-1.40.0-8.el9.x86_64                      (rpm -q)
    oracle-cloud-agent	1.40.0-8                                  (dpkg-query -W)
    Name                Version   Rev  Tracking       Publisher  Notes
    oracle-cloud-agent  1.40.0-8  86   latest/stable  oracle-cloud-agent  classic   (snap list)

``package oracle-cloud-agent is not installed`` (rpm), a bare name (dpkg-query: removed,
config files left) or the command's own
``# gpufleet: oracle-cloud-agent not found`` line means not installed. oci-hpc
check_gpu_setup.py requires at least 1.39.0 (facts/oci.md §5.1). Example::

    {"installed": true, "version": "1.40.0-8.el9.x86_64", "release": [1, 40, 0]}
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bootstrap.facts.base import Fact, is_prompt, require_text
from bootstrap.facts.errors import FactParseError

KIND = "oca-version"
PACKAGE = "oracle-cloud-agent"
NOT_FOUND = f"# gpufleet: {PACKAGE} not found by rpm, dpkg-query or snap"
COMMAND = (
    f"timeout 10 rpm -q {PACKAGE} 2>/dev/null || timeout 10 dpkg-query -W {PACKAGE} 2>/dev/null"
    f" || timeout 10 snap list {PACKAGE} 2>/dev/null || echo '{NOT_FOUND}'"
)
_VERSION = r"(?P<version>(?P<release>\d+(?:\.\d+)+)(?:[-~+][0-9A-Za-z._~+-]*)?)"
_RPM = re.compile(rf"^{PACKAGE}-{_VERSION}$")
_COLUMNS = re.compile(rf"^{PACKAGE}\s+{_VERSION}(?:\s.*)?$")  # dpkg-query -W, snap list rows
_SNAP_HEADER = re.compile(r"^Name\s+Version\s+Rev\b")
_NOT_INSTALLED = (f"package {PACKAGE} is not installed", NOT_FOUND)


@dataclass(frozen=True)
class OcaVersion(Fact):
    installed: bool
    version: str | None  # as the package manager prints it
    release: tuple[int, ...] | None  # the leading dotted numbers: (1, 40, 0)


def parse(text: str) -> OcaVersion:
    require_text(KIND, text)
    absent = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or is_prompt(line) or _SNAP_HEADER.match(line):
            continue
        if line in _NOT_INSTALLED or line == PACKAGE:  # dpkg-query -W: known, no version
            absent = True
            continue
        m = _RPM.match(line) or _COLUMNS.match(line)
        if m is None:
            raise FactParseError(KIND, f"line {number}: {line!r} is no {PACKAGE} version line")
        release = tuple(int(part) for part in m["release"].split("."))
        return OcaVersion(installed=True, version=m["version"], release=release)
    if absent:
        return OcaVersion(installed=False, version=None, release=None)
    raise FactParseError(KIND, f"no {PACKAGE} version line and no 'not installed' line")
