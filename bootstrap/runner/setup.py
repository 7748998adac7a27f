"""Everything checked before the first connection: inventory, selection, key, known_hosts.
A problem here is bad input (exit 2) and nothing has been touched yet."""

from __future__ import annotations

from pathlib import Path

from bootstrap.inventory.load import InventoryError, load_inventory
from bootstrap.inventory.model import Inventory
from bootstrap.ssh.connection import Connector
from bootstrap.ssh.errors import AuthError
from bootstrap.ssh.handshake import Endpoint
from bootstrap.ssh.identity import load_keys
from bootstrap.ssh.known_hosts import KnownHosts
from bootstrap.ssh.settings import Timeouts


class SetupError(ValueError):
    """Bad input, with the fix in the message."""


def select_inventory(
    path: Path, *, pool: str | None = None, limit: list[str] | None = None
) -> Inventory:
    try:
        inventory = load_inventory(path)
        return inventory.select(pool=pool, limit=limit)
    except InventoryError as exc:
        raise SetupError(str(exc)) from None
    except ValueError as exc:
        raise SetupError(f"{path.name}: {exc}") from None


def build_connector(
    inventory: Inventory,
    *,
    accept_new_host_keys: bool = False,
    timeouts: Timeouts | None = None,
    bastion_transports: int = 1,
) -> Connector:
    ssh = inventory.ssh
    for what, path, key in (("identity", ssh.identity_file, "identity_file"),
                            ("known_hosts", ssh.known_hosts, "known_hosts")):  # fmt: skip
        if path is not None and path.is_dir():
            raise SetupError(
                f"{what} file {path} is a directory; point ssh.{key} in the inventory at the "
                "file itself"
            )
    if not accept_new_host_keys and not ssh.known_hosts.is_file():
        raise SetupError(
            f"known_hosts file {ssh.known_hosts} does not exist; host keys are checked strictly. "
            "Point ssh.known_hosts at a file with the nodes' keys, or pass "
            "--accept-new-host-keys to record them on first contact"
        )
    try:
        keys = load_keys(ssh.identity_file)
    except AuthError as exc:
        raise SetupError(f"{exc.message}; {exc.remedy}") from None
    bastion = (
        Endpoint("bastion", ssh.bastion.host, ssh.bastion.port, ssh.bastion.user)
        if ssh.bastion
        else None
    )
    return Connector(
        keys=keys,
        known_hosts=KnownHosts(ssh.known_hosts, accept_new=accept_new_host_keys),
        timeouts=timeouts,
        bastion=bastion,
        bastion_transports=bastion_transports,
    )
