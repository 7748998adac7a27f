"""RDMA device ports from ``ibv_devinfo -v`` (fact `RdmaPorts`): state, MTU, link layer, speed
and the GID table of every port.

Format (rdma-core ``ibv_devinfo -v``; device lines indented one tab, port lines two or three)::

    hca_id:	mlx5_0
        fw_ver:				28.39.1002
        phys_port_cnt:			1
        ...				(capability lists the parser skips)
                port:	1
                        state:			PORT_ACTIVE (4)
                        active_mtu:		4096 (5)
                        link_layer:		Ethernet
                        active_width:		4X (2)
                        active_speed:		50.0 Gbps (64)
                        GID[  3]:		::ffff:10.224.0.7, RoCE v2

Link rate = width x per-lane speed (4X x 50.0 Gbps = 200 Gb/s). NCCL on OCI uses GID index 3,
the RoCE v2 IPv4-mapped GID (NCCL_IB_GID_INDEX=3; DRHPC test_limits: GID indices {0,1,2,3}).
Example result::

    {"devices": [{"hca_id": "mlx5_0", "fw_ver": "28.39.1002", "ports": [{"port": 1,
      "state": "PORT_ACTIVE", "active": true, "active_mtu": 4096, "link_layer": "Ethernet",
      "width": 4, "lane_gbps": 50.0, "gbps": 200.0,
      "gids": [{"index": 3, "gid": "::ffff:10.224.0.7", "type": "RoCE v2"}, ...]}]}]}

Truncation and garbage are parse errors: the state/MTU/width/speed values must end in their
``(code)``, a GID must be a whole IPv6 address, every port needs its five key lines, and a
device's port blocks must number its ``phys_port_cnt``. Capability lines the parser does not
use are skipped (their layout differs between rdma-core versions).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from bootstrap.facts.base import Fact, is_prompt, require_text
from bootstrap.facts.errors import FactParseError

KIND = "ibv-devinfo"
COMMAND = "timeout 30 ibv_devinfo -v"
_HCA = re.compile(r"^hca_id:\s+(?P<dev>\S+)$")
_KV = re.compile(r"^(?P<key>[A-Za-z_][\w ]*?|GID\[\s*\d+\]):\s*(?P<value>.*)$")
_GID_KEY = re.compile(r"^GID\[\s*(?P<index>\d+)\]$")
_CODED = re.compile(r"^(?P<text>\S.*?) \((?P<code>\d+)\)$")  # "PORT_ACTIVE (4)"
_SPEED = re.compile(r"^(?P<gbps>\d+(?:\.\d+)?) Gbps$")
_WIDTH = re.compile(r"^(?P<lanes>\d+)X$")
_PORT_KEYS = ("state", "active_mtu", "link_layer", "active_width", "active_speed")


@dataclass(frozen=True)
class Gid(Fact):
    index: int
    gid: str
    type: str | None  # "RoCE v1" | "RoCE v2" | None (older rdma-core prints no type)

    @property
    def ipv4_mapped(self) -> bool:
        """True for ::ffff:a.b.c.d, the RoCE v2 GID that carries the port's IPv4 address."""
        return ipaddress.IPv6Address(self.gid).ipv4_mapped is not None


@dataclass(frozen=True)
class RdmaPort(Fact):
    port: int
    state: str  # "PORT_ACTIVE", "PORT_DOWN", ...
    active: bool
    active_mtu: int | None
    link_layer: str
    width: int | None  # lanes
    lane_gbps: float | None
    gbps: float | None  # width x lane speed; None when either is invalid (port down)
    gids: tuple[Gid, ...]

    def gid(self, index: int) -> Gid | None:
        return next((g for g in self.gids if g.index == index), None)


@dataclass(frozen=True)
class RdmaDevice(Fact):
    hca_id: str
    fw_ver: str | None
    ports: tuple[RdmaPort, ...]


@dataclass(frozen=True)
class RdmaPorts(Fact):
    devices: tuple[RdmaDevice, ...]

    def by_device(self) -> dict[str, RdmaDevice]:
        return {d.hca_id: d for d in self.devices}


class _Device:
    def __init__(self, hca_id: str) -> None:
        self.hca_id = hca_id
        self.fw_ver: str | None = None
        self.port_cnt: int | None = None
        self.ports: list[tuple[int, dict[str, str], list[Gid]]] = []


def _coded(where: str, key: str, value: str) -> str:
    m = _CODED.match(value)
    if not m:
        raise FactParseError(KIND, f"{where}: {key} {value!r} does not end in '(code)' (cut?)")
    return m["text"]


def _gid(where: str, index: int, value: str) -> Gid:
    addr, _, kind = value.partition(",")
    gid = addr.strip()
    try:
        ipaddress.IPv6Address(gid)  # kept as printed; only checked whole (a cut GID fails here)
    except ValueError:
        raise FactParseError(KIND, f"{where}: GID[{index}] {gid!r} is not a GID") from None
    kind = kind.strip()
    if kind and not re.fullmatch(r"RoCE v[12]|IB", kind):
        raise FactParseError(KIND, f"{where}: GID[{index}] type {kind!r} is unknown (cut?)")
    return Gid(index, gid, kind or None)


def _port(dev: str, number: int, kv: dict[str, str], gids: list[Gid]) -> RdmaPort:
    where = f"{dev} port {number}"
    missing = [k for k in _PORT_KEYS if k not in kv]
    if missing:
        raise FactParseError(KIND, f"{where}: no {', '.join(missing)} line (output cut?)")
    state = _coded(where, "state", kv["state"])
    mtu = _coded(where, "active_mtu", kv["active_mtu"])
    width_m = _WIDTH.match(_coded(where, "active_width", kv["active_width"]))
    speed_m = _SPEED.match(_coded(where, "active_speed", kv["active_speed"]))
    width = int(width_m["lanes"]) if width_m else None
    lane = float(speed_m["gbps"]) if speed_m else None
    return RdmaPort(
        port=number,
        state=state,
        active=state == "PORT_ACTIVE",
        active_mtu=int(mtu) if mtu.isdigit() else None,
        link_layer=kv["link_layer"],
        width=width,
        lane_gbps=lane,
        gbps=round(width * lane, 3) if width is not None and lane is not None else None,
        gids=tuple(sorted(gids, key=lambda g: g.index)),
    )


def parse(text: str) -> RdmaPorts:
    require_text(KIND, text)
    devices: list[_Device] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or (not devices and is_prompt(line)):
            continue
        if m := _HCA.match(line):
            devices.append(_Device(m["dev"]))
            continue
        if not devices:
            raise FactParseError(KIND, f"line {number}: {line!r} before any 'hca_id:' line")
        dev = devices[-1]
        kv = _KV.match(line)
        if kv is None:
            continue  # a capability flag listed on its own line
        key, value = kv["key"], kv["value"].strip()
        if key == "port":
            if not value.isdigit():
                raise FactParseError(KIND, f"line {number}: port {value!r} is not a number")
            dev.ports.append((int(value), {}, []))
        elif not dev.ports:
            if key == "fw_ver":
                dev.fw_ver = value
            elif key == "phys_port_cnt":
                if not value.isdigit():
                    raise FactParseError(KIND, f"line {number}: phys_port_cnt {value!r}")
                dev.port_cnt = int(value)
        elif g := _GID_KEY.match(key):
            dev.ports[-1][2].append(_gid(f"line {number}", int(g["index"]), value))
        elif key in _PORT_KEYS:
            dev.ports[-1][1][key] = value
    if not devices:
        raise FactParseError(KIND, "no 'hca_id:' lines: not ibv_devinfo output")
    out = []
    for dev in devices:
        if not dev.ports:
            raise FactParseError(KIND, f"{dev.hca_id}: no 'port:' block (output cut?)")
        if dev.port_cnt is not None and dev.port_cnt != len(dev.ports):
            raise FactParseError(
                KIND,
                f"{dev.hca_id}: phys_port_cnt {dev.port_cnt} but {len(dev.ports)} port block(s)",
            )
        ports = tuple(_port(dev.hca_id, n, kv, gids) for n, kv, gids in dev.ports)
        out.append(RdmaDevice(dev.hca_id, dev.fw_ver, ports))
    return RdmaPorts(devices=tuple(out))
