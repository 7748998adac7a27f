"""Host-key verification against a known_hosts file: strict, or accept-new; never blind.

* A key that matches the file: accepted.
* No key for the host: refused (`UnknownHostKeyError`), unless `accept_new`, which appends it.
* A key that differs from the file: always refused (`ChangedHostKeyError`), and nothing runs on
  the node. The message gives both fingerprints and the exact `ssh-keygen -R` remedy.

No paramiko `MissingHostKeyPolicy` class is used (least of all one that adds unseen keys):
the key is checked here, after key exchange and before authentication.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shlex
import threading
from pathlib import Path

import paramiko

from bootstrap.ssh.errors import ChangedHostKeyError, UnknownHostKeyError


def entry_name(host: str, port: int) -> str:
    """The host's name in known_hosts, as OpenSSH writes it."""
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key: paramiko.PKey) -> str:
    digest = hashlib.sha256(key.asbytes()).digest()
    return f"{key.get_name()} SHA256:{base64.b64encode(digest).decode().rstrip('=')}"


class KnownHosts:
    def __init__(self, path: Path, *, accept_new: bool = False) -> None:
        self.path = path
        self.accept_new = accept_new
        self._lock = threading.Lock()
        self._keys = paramiko.HostKeys()
        if path.exists():
            self._keys.load(str(path))

    def known_types(self, host: str, port: int) -> list[str]:
        """Key types on file for the host, so the handshake can ask for one of those first."""
        with self._lock:
            entry = self._keys.lookup(entry_name(host, port))
            return list(entry.keys()) if entry else []

    def verify(self, node: str, host: str, port: int, key: paramiko.PKey) -> None:
        name = entry_name(host, port)
        with self._lock:
            entry = self._keys.lookup(name)
            known = dict(entry) if entry else {}
            if not known:
                if not self.accept_new:
                    raise UnknownHostKeyError(
                        node,
                        f"no host key for {name} in {self.path} (server offered "
                        f"{fingerprint(key)}); strict host-key checking refuses unknown hosts",
                        remedy="add the key to known_hosts (from the cloud console or a trusted "
                        "ssh-keyscan), or re-run with --accept-new-host-keys",
                    )
                self._record(name, key)
                return
        same = known.get(key.get_name())
        if same is not None and same.asbytes() == key.asbytes():
            return
        on_file = ", ".join(fingerprint(k) for k in known.values())
        raise ChangedHostKeyError(
            node,
            f"host key for {name} CHANGED: known_hosts has {on_file}, the server presented "
            f"{fingerprint(key)}; a reinstalled node, or someone in the middle; nothing was run",
            remedy=(
                f"if the node was reinstalled, verify the new key out of band, then run "
                f"ssh-keygen -R {shlex.quote(name)} -f {shlex.quote(str(self.path))} "
                f"and re-run with --accept-new-host-keys"
            ),
        )

    def _record(self, name: str, key: paramiko.PKey) -> None:
        # Append one line (never rewrite the file: other tools may hold it open). Caller holds
        # the lock.
        self._keys.add(name, key.get_name(), key)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a") as f:
            f.write(f"{name} {key.get_name()} {key.get_base64()}\n")
