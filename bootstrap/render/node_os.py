"""The operating systems a node may run: how to recognise one, and its package manager.

What each step installs on each OS lives with the step (`bootstrap/render/steps/`); this file
only says which OS is which.
"""

from __future__ import annotations

from dataclasses import dataclass

from bootstrap.render.package import PkgFamily
from infra.shapes import OsName


@dataclass(frozen=True)
class NodeOs:
    name: OsName
    os_id: str  # /etc/os-release ID
    version: str  # VERSION_ID, or its major for Oracle Linux ("8" matches "8.10")
    family: PkgFamily


NODE_OS: dict[str, NodeOs] = {
    o.name: o
    for o in (
        NodeOs("oracle-linux-8", "ol", "8", "dnf"),
        NodeOs("oracle-linux-9", "ol", "9", "dnf"),
        NodeOs("ubuntu-22.04", "ubuntu", "22.04", "apt"),
        NodeOs("ubuntu-24.04", "ubuntu", "24.04", "apt"),
    )
}
