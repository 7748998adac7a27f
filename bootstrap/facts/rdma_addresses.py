"""Per-netdev IPv4 addresses and MTU (fact `InterfaceAddresses`).

Two sources, one result:

* ``ip -j addr`` (iproute2 JSON: a list of links, each with ``ifname``, ``flags``, ``mtu``,
  ``operstate`` and ``addr_info`` entries ``{"family": "inet", "local": …, "prefixlen": …}``);
* ``ifconfig -a`` text (net-tools: ``<name>: flags=<n><FLAGS>  mtu <n>`` then indented
  ``inet <a>  netmask <m>  broadcast <b>``), as in the recorded BM.GPU4.8 fixture (there piped
  through ``grep -A1 enp``, so ``--`` separators appear and are skipped).

Example::

    {"interfaces": [{"name": "enp12s0f0", "mtu": 4220, "flags": ["BROADCAST", "MULTICAST",
      "RUNNING", "UP"], "operstate": null, "ipv4": [{"address": "192.168.0.87",
      "prefix_len": 24}]}, ...]}

Health checks use this for "every RDMA netdev has an IP" (oci-hpc check_gpu_setup.py) and the
RDMA MTU 4220 contract (shapes.json rdma-settings; facts/oci.md §3.3).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from bootstrap.facts.base import Fact, is_prompt, load_json, require_text
from bootstrap.facts.errors import FactParseError

KIND = "ip-addr"
IFCONFIG_KIND = "ifconfig"
COMMAND = "timeout 10 ip -j addr"
IFCONFIG_COMMAND = "timeout 10 ifconfig -a"


@dataclass(frozen=True)
class Ipv4Address(Fact):
    address: str
    prefix_len: int


@dataclass(frozen=True)
class Interface(Fact):
    name: str
    mtu: int | None
    flags: tuple[str, ...]
    operstate: str | None  # ip only ("UP", "DOWN", "UNKNOWN"); ifconfig has no such field
    ipv4: tuple[Ipv4Address, ...]


@dataclass(frozen=True)
class InterfaceAddresses(Fact):
    interfaces: tuple[Interface, ...]

    def by_name(self) -> dict[str, Interface]:
        return {iface.name: iface for iface in self.interfaces}


def _ipv4(kind: str, address: Any, prefix: Any) -> Ipv4Address:
    try:
        net = ipaddress.IPv4Interface(f"{address}/{prefix}")
    except (ValueError, TypeError) as exc:
        raise FactParseError(kind, f"bad IPv4 address {address!r}/{prefix!r}: {exc}") from None
    return Ipv4Address(address=str(net.ip), prefix_len=net.network.prefixlen)


def parse(text: str) -> InterfaceAddresses:
    """Parse ``ip -j addr`` JSON."""
    data = load_json(KIND, text)
    if not isinstance(data, list) or not data:
        raise FactParseError(KIND, "expected a non-empty JSON list of links")
    interfaces = []
    for position, link in enumerate(data):
        if not isinstance(link, dict) or not isinstance(link.get("ifname"), str):
            raise FactParseError(KIND, f"link #{position} has no string 'ifname'")
        mtu, flags, infos = link.get("mtu"), link.get("flags", []), link.get("addr_info", [])
        if mtu is not None and not isinstance(mtu, int):
            raise FactParseError(KIND, f"{link['ifname']}: mtu {mtu!r} is not an integer")
        if not isinstance(flags, list) or not isinstance(infos, list):
            raise FactParseError(KIND, f"{link['ifname']}: 'flags'/'addr_info' are not lists")
        ipv4 = tuple(
            _ipv4(KIND, info.get("local"), info.get("prefixlen"))
            for info in infos
            if isinstance(info, dict) and info.get("family") == "inet"
        )
        operstate = link.get("operstate")
        interfaces.append(
            Interface(
                name=link["ifname"],
                mtu=mtu,
                flags=tuple(sorted(str(flag) for flag in flags)),
                operstate=operstate if isinstance(operstate, str) else None,
                ipv4=ipv4,
            )
        )
    return InterfaceAddresses(interfaces=tuple(interfaces))


_IF_HEADER = re.compile(r"^(?P<name>[^\s:]+): flags=\d+<(?P<flags>[^>]*)>\s+mtu (?P<mtu>\d+)$")
_IF_INET = re.compile(
    r"^inet (?P<addr>\S+)\s+netmask (?P<mask>\S+)(?:\s+(?:broadcast|destination) \S+)?$"
)
# Indented ifconfig lines that carry nothing we read (net-tools ifconfig.c / lib/interface.c).
_IF_OTHER = ("inet6 ", "ether ", "loop ", "infiniband ", "unspec ", "RX ", "TX ", "device ")


def parse_ifconfig(text: str) -> InterfaceAddresses:
    """Parse net-tools ``ifconfig -a`` text (also its ``| grep -A1`` excerpts)."""
    require_text(IFCONFIG_KIND, text)
    blocks: list[tuple[re.Match[str], list[Ipv4Address]]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line == "--" or (not raw[:1].isspace() and is_prompt(line)):
            continue
        if not raw[:1].isspace():
            header = _IF_HEADER.match(line)
            if not header:
                raise FactParseError(IFCONFIG_KIND, f"line {number}: bad interface line {line!r}")
            blocks.append((header, []))
            continue
        if not blocks:
            raise FactParseError(
                IFCONFIG_KIND, f"line {number}: indented line before any interface"
            )
        inet = _IF_INET.match(line)
        if inet:
            mask = inet["mask"]
            blocks[-1][1].append(_ipv4(IFCONFIG_KIND, inet["addr"], mask))
        elif not line.startswith(_IF_OTHER):
            raise FactParseError(IFCONFIG_KIND, f"line {number}: unrecognised line {line!r}")
    if not blocks:
        raise FactParseError(IFCONFIG_KIND, "no interfaces found")
    return InterfaceAddresses(
        interfaces=tuple(
            Interface(
                name=header["name"],
                mtu=int(header["mtu"]),
                flags=tuple(sorted(f for f in header["flags"].split(",") if f)),
                operstate=None,
                ipv4=tuple(addresses),
            )
            for header, addresses in blocks
        )
    )
