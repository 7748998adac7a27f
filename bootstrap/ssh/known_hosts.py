"""Host-key verification against a known_hosts file: strict, or accept-new; never blind.

* A key that matches the file: accepted.
* No key for the host: refused (`UnknownHostKeyError`), unless `accept_new`, which appends it.
* A key that differs from the file: always refused (`ChangedHostKeyError`), and nothing runs on
  the node. The message gives both fingerprints and the exact `ssh-keygen -R` remedy.

No paramiko `MissingHostKeyPolicy` class is used (least of all one that adds unseen keys):
the key is checked here, after key exchange and before authentication.

The file is indexed once, by host name, and keys are compared as bytes (never parsed): paramiko's
`HostKeys` scans every entry per lookup and per loaded line, which is quadratic in the fleet
(a 4,000-line file took 3.4 s to load and 0.7 ms per lookup; 12,500 nodes would spend about a
minute of CPU there). Hashed entries (`|1|salt|hash`, HashKnownHosts) cannot be indexed by name:
they are matched by HMAC-SHA1 as OpenSSH does, only for names missing from the plain index, and
each name's answer is cached. Marker lines (`@cert-authority`, `@revoked`) are skipped, as
paramiko skips them: host certificates are not supported.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
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
    return _fingerprint(key.get_name(), key.asbytes())


def _fingerprint(kind: str, blob: bytes) -> str:
    digest = hashlib.sha256(blob).digest()
    return f"{kind} SHA256:{base64.b64encode(digest).decode().rstrip('=')}"


Keys = dict[str, bytes]  # key type -> public key blob


def _hashed_match(pattern: str, name: str) -> bool:
    """OpenSSH's hashed host name: `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`."""
    try:
        salt, digest = (base64.b64decode(p) for p in pattern[3:].split("|", 1))
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(hmac.new(salt, name.encode(), hashlib.sha1).digest(), digest)


class KnownHosts:
    def __init__(self, path: Path, *, accept_new: bool = False) -> None:
        self.path = path
        self.accept_new = accept_new
        self._lock = threading.Lock()
        self._plain: dict[str, Keys] = {}
        self._hashed: list[tuple[str, str, bytes]] = []  # (|1|salt|hash, type, blob)
        self._cache: dict[str, Keys] = {}
        if path.exists():
            self._load(path.read_text(errors="replace"))

    def _load(self, text: str) -> None:
        for line in text.splitlines():
            fields = line.split()
            if len(fields) < 3 or fields[0].startswith(("#", "@")):
                continue
            names, kind, b64 = fields[:3]
            try:
                blob = base64.b64decode(b64, validate=True)
            except (ValueError, binascii.Error):
                continue  # a damaged line counts as no key, as with paramiko and OpenSSH
            for name in names.split(","):
                if name.startswith("|1|"):
                    self._hashed.append((name, kind, blob))
                else:
                    self._plain.setdefault(name, {}).setdefault(kind, blob)

    def _lookup(self, name: str) -> Keys:
        """Keys on file for `name` (caller holds the lock)."""
        found = self._cache.get(name)
        if found is None:
            found = dict(self._plain.get(name, {}))
            for pattern, kind, blob in self._hashed:
                if kind not in found and _hashed_match(pattern, name):
                    found[kind] = blob
            self._cache[name] = found
        return found

    def known_types(self, host: str, port: int) -> list[str]:
        """Key types on file for the host, so the handshake can ask for one of those first."""
        with self._lock:
            return list(self._lookup(entry_name(host, port)))

    def verify(self, node: str, host: str, port: int, key: paramiko.PKey) -> None:
        name = entry_name(host, port)
        with self._lock:
            known = self._lookup(name)
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
        if known.get(key.get_name()) == key.asbytes():
            return
        on_file = ", ".join(_fingerprint(kind, blob) for kind, blob in known.items())
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
        self._plain.setdefault(name, {})[key.get_name()] = key.asbytes()
        self._cache.pop(name, None)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a") as f:
            f.write(f"{name} {key.get_name()} {key.get_base64()}\n")
