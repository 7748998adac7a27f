"""Load and validate a JSON inventory, reporting every problem at once.

The format (the contract; `bastion`, `identity_file`, `known_hosts`, per-node `port`/`user`/
`shape` are optional; per-node `user`/`port` override `ssh`):

    {"ssh": {"user": "opc", "identity_file": "keys/id_ed25519", "known_hosts": "known_hosts",
             "bastion": {"host": "203.0.113.10", "port": 22, "user": "opc"}},
     "nodes": [{"name": "train-0001", "host": "10.0.1.17", "port": 22, "pool": "train",
                "shape": "BM.GPU.H100.8"}],
     "pools": {"train": {"nodes_requested": 64, "spares": 2, "gpu_power_cap_w": 500}}}

`pools` is optional (inventories written before it stay valid): per pool, the N nodes the stack
asked for and the k spares launched beside them, exports keep the N best
(`bootstrap.topology.spares`); and the pool's per-GPU power cap (optional, also in an entry of
its own), which `gpufleet health` checks every GPU enforces.

Relative paths resolve against the inventory file's folder; without `identity_file` keys come
from ssh-agent; without `known_hosts` it is `~/.ssh/known_hosts`. Each problem names the entry
and the field, e.g.

    inventory.json: nodes[2] (train-0003): field 'port': must be an integer 1-65535, got '22x'
"""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Any

from bootstrap.inventory.model import Bastion, Inventory, Node, PoolSize, SshSettings
from infra.input_file import InputFileError, load_json

# Node and pool names become file names (logs/<run>/<node>.log, rendered/<pool>/bootstrap.sh).
# Always matched whole (fullmatch): `$` would let a trailing newline through.
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
# A DNS hostname (RFC 1123 labels); IP addresses are checked by `ipaddress`.
HOST_LABEL_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# A login name (no spaces, no leading '-', which ssh would read as an option); `@` and `.` for
# directory users.
USER_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}")
# Shapes and OCIDs: printable, no spaces.
TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,255}")
SSH_FIELDS = {"user", "identity_file", "known_hosts", "bastion"}
BASTION_FIELDS = {"host", "port", "user"}
NODE_FIELDS = {"name", "host", "port", "user", "pool", "shape", "instance_id"}
POOL_FIELDS = {"nodes_requested", "spares", "gpu_power_cap_w"}
POWER_CAP = "gpu_power_cap_w"
_USER = "a login name (letters, digits, '_', '.', '@', '-'; not starting with '-')"
_TOKEN = "a shape name or OCID (letters, digits, '.', '_', ':', '-')"
TOP_FIELDS = {"ssh", "nodes", "pools"}


class InventoryError(ValueError):
    """All problems of one inventory; `str()` lists one per line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


def load_inventory(path: Path) -> Inventory:
    label = path.name
    try:
        doc = load_json(path, "inventory")
    except InputFileError as exc:
        raise InventoryError(label, [f"{exc.problem}; {exc.fix}"]) from None
    return parse_inventory(doc, base=path.resolve().parent, source=path, label=label)


def parse_inventory(
    doc: Any, *, base: Path, source: Path | None = None, label: str = "inventory"
) -> Inventory:
    v = _Validator()
    if not isinstance(doc, dict):
        raise InventoryError(label, ["top level: must be a JSON object with 'ssh' and 'nodes'"])
    v.unknown("top level", doc, TOP_FIELDS)
    ssh = _parse_ssh(v, doc.get("ssh"), base)
    nodes = _parse_nodes(v, doc.get("nodes"), ssh)
    pool_sizes, power_caps = _parse_pools(v, doc.get("pools", {}))
    if v.problems or ssh is None:
        raise InventoryError(label, v.problems)
    return Inventory(source, ssh, tuple(nodes), pool_sizes, power_caps)


class _Validator:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, where: str, key: str, text: str) -> None:
        self.problems.append(f"{where}: field '{key}': {text}")

    def unknown(self, where: str, obj: dict[str, Any], allowed: set[str]) -> None:
        for key in sorted(set(obj) - allowed):
            names = ", ".join(f"'{a}'" for a in sorted(allowed))
            self.problem(where, key, f"unknown field (allowed: {names})")

    def string(self, where: str, obj: dict[str, Any], key: str, *, required: bool) -> str | None:
        if key not in obj:
            if required:
                self.problem(where, key, "is required")
            return None
        value = obj[key]
        if not isinstance(value, str) or not value.strip():
            self.problem(where, key, f"must be a non-empty string, got {_show(value)}")
            return None
        return value

    def name(self, where: str, obj: dict[str, Any], key: str) -> str | None:
        value = self.string(where, obj, key, required=True)
        if value is not None and not NAME_RE.fullmatch(value):
            self.problem(
                where,
                key,
                f"must be 1-63 letters, digits, '.', '_' or '-' (it names log files), "
                f"got {_show(value)}",
            )
            return None
        return value

    def matching(
        self, where: str, obj: dict[str, Any], key: str, rx: re.Pattern[str], allowed: str
    ) -> str | None:
        """An optional string that must match `rx` whole."""
        value = self.string(where, obj, key, required=False)
        if value is not None and not rx.fullmatch(value):
            self.problem(where, key, f"must be {allowed}, got {_show(value)}")
            return None
        return value

    def host(self, where: str, obj: dict[str, Any], key: str) -> str | None:
        """An IPv4/IPv6 address or a DNS name; nothing else reaches ssh or known_hosts."""
        value = self.string(where, obj, key, required=True)
        if value is None or _is_host(value):
            return value
        self.problem(
            where,
            key,
            f"must be an IPv4 or IPv6 address or a DNS host name (no spaces, ports or user@), "
            f"got {_show(value)}",
        )
        return None

    def count(self, where: str, obj: dict[str, Any], key: str, default: int | None) -> int | None:
        """A whole number >= 0; None when missing and required (`default` None) or invalid."""
        if key not in obj:
            if default is None:
                self.problem(where, key, "is required")
            return default
        value = obj[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem(where, key, f"must be an integer >= 0, got {_show(value)}")
            return None
        return value

    def port(self, where: str, obj: dict[str, Any], key: str, default: int) -> int:
        value = obj.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            self.problem(where, key, f"must be an integer 1-65535, got {_show(value)}")
            return default
        return value


def _is_host(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        pass
    labels = value.removesuffix(".").split(".")
    return len(value) <= 253 and all(HOST_LABEL_RE.fullmatch(label) for label in labels)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(value)


def _path(value: str, base: Path) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


def _parse_ssh(v: _Validator, raw: Any, base: Path) -> SshSettings | None:
    if not isinstance(raw, dict):
        v.problem("top level", "ssh", f"must be an object with at least 'user', got {_show(raw)}")
        return None
    v.unknown("ssh", raw, SSH_FIELDS)
    user = v.string("ssh", raw, "user", required=True)
    if user is not None and not USER_RE.fullmatch(user):
        v.problem("ssh", "user", f"must be {_USER}, got {_show(user)}")
        user = None
    identity = v.string("ssh", raw, "identity_file", required=False)
    known = v.string("ssh", raw, "known_hosts", required=False)
    bastion = None
    if "bastion" in raw and raw["bastion"] is not None:
        b = raw["bastion"]
        if not isinstance(b, dict):
            v.problem("ssh", "bastion", f"must be an object with 'host', got {_show(b)}")
        else:
            v.unknown("ssh.bastion", b, BASTION_FIELDS)
            host = v.host("ssh.bastion", b, "host")
            port = v.port("ssh.bastion", b, "port", 22)
            b_user = v.matching("ssh.bastion", b, "user", USER_RE, _USER) or user
            if host and b_user:
                bastion = Bastion(host, port, b_user)
    if user is None:
        return None
    return SshSettings(
        user=user,
        identity_file=_path(identity, base) if identity else None,
        known_hosts=_path(known, base) if known else Path("~/.ssh/known_hosts").expanduser(),
        bastion=bastion,
    )


def _parse_nodes(v: _Validator, raw: Any, ssh: SshSettings | None) -> list[Node]:
    if not isinstance(raw, list) or not raw:
        v.problem("top level", "nodes", f"must be a non-empty list of nodes, got {_show(raw)}")
        return []
    nodes: list[Node] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw):
        where = f"nodes[{i}]"
        if not isinstance(entry, dict):
            v.problems.append(f"{where}: must be an object, got {_show(entry)}")
            continue
        if isinstance(entry.get("name"), str) and NAME_RE.fullmatch(entry["name"]):
            where = f"nodes[{i}] ({entry['name']})"
        v.unknown(where, entry, NODE_FIELDS)
        name = v.name(where, entry, "name")
        host = v.host(where, entry, "host")
        port = v.port(where, entry, "port", 22)
        pool = v.name(where, entry, "pool")
        shape = v.matching(where, entry, "shape", TOKEN_RE, _TOKEN) or ""
        instance_id = v.matching(where, entry, "instance_id", TOKEN_RE, _TOKEN)
        user = v.matching(where, entry, "user", USER_RE, _USER) or (ssh.user if ssh else None)
        if name is not None:
            if name in seen:
                v.problem(where, "name", f"duplicate of nodes[{seen[name]}]; names must be unique")
            seen.setdefault(name, i)
        if name and host and pool and user:
            nodes.append(Node(name, host, port, user, pool, shape, instance_id or None))
    return nodes


def _parse_pools(v: _Validator, raw: Any) -> tuple[dict[str, PoolSize], dict[str, int]]:
    if not isinstance(raw, dict):
        v.problem(
            "top level",
            "pools",
            'must be an object like {"train": {"nodes_requested": 64, "spares": 2}}, '
            f"got {_show(raw)}",
        )
        return {}, {}
    sizes: dict[str, PoolSize] = {}
    caps: dict[str, int] = {}
    for pool, entry in raw.items():
        where = f"pools.{pool}"
        if not NAME_RE.fullmatch(pool):
            v.problems.append(
                f"pools[{pool!r}]: pool names are 1-63 letters, digits, '.', '_' or '-'"
            )
            continue
        if not isinstance(entry, dict):
            v.problems.append(
                f"{where}: must be an object with 'nodes_requested', got {_show(entry)}"
            )
            continue
        v.unknown(where, entry, POOL_FIELDS)
        if entry.get(POWER_CAP) is not None:
            cap = v.count(where, entry, POWER_CAP, None)
            if cap is not None and cap < 1:
                v.problem(where, POWER_CAP, f"must be watts per GPU (>= 1), got {cap}")
            elif cap is not None:
                caps[pool] = cap
        if set(entry) <= {POWER_CAP}:
            continue  # only a power cap: the stack recorded no size for this pool
        requested = v.count(where, entry, "nodes_requested", None)
        spares = v.count(where, entry, "spares", 0)
        if requested is not None and spares is not None:
            sizes[pool] = PoolSize(requested, spares)
    return sizes, caps
