"""The munge key and the slurmdbd settings file with the database password, as scripts the
runner pushes over SSH (never user data, metadata or a command line).

    >>> script = secret_script(("/etc/munge/munge.key", key, "munge:munge", "0400"))

A script holds the secret base64-encoded, writes it atomically with its mode and owner, and
prints only "installed"/"unchanged" and a 12-digit sha256 prefix (to compare hosts by). The
runner removes the script file once it ran.
"""

from __future__ import annotations

import base64
import stat
from pathlib import Path

from bootstrap.render.jinja import render_text

MUNGE_KEY_PATH = "/etc/munge/munge.key"
# munged refuses shorter keys ("Keyfile must be at least 32 bytes", Debian 12's munge 0.5.15,
# checked by tests/slurm/test_secrets.py against the real munged).
MUNGE_KEY_MIN, MUNGE_KEY_MAX = 32, 1024 * 1024


class SecretFileError(ValueError):
    """A secret file that must not be pushed; the message names the file, the problem, the fix."""


def read_secret(path: Path, what: str, *, min_len: int = 1, max_len: int = 1024 * 1024) -> bytes:
    """The file's bytes; refuses one others can read, or of a size the consumer refuses."""
    try:
        st = path.stat()
        data = path.read_bytes()
    except OSError as exc:
        raise SecretFileError(f"{path}: cannot read the {what}: {exc.strerror}") from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretFileError(
            f"{path}: the {what} is readable by others (mode {stat.S_IMODE(st.st_mode):04o}); "
            f"fix: chmod 0400 {path}"
        )
    if not min_len <= len(data) <= max_len:
        raise SecretFileError(
            f"{path}: the {what} is {len(data)} bytes; allowed {min_len}..{max_len}; fix: "
            "dd if=/dev/urandom bs=1 count=1024 of=munge.key (or mungekey -c)"
        )
    return data


def secret_script(*secrets: tuple[str, bytes, str, str]) -> str:
    """One script installing each (path, content, owner, mode)."""
    return render_text(
        "slurm/push_secret.sh.j2",
        secrets=[
            {"path": path, "b64": base64.b64encode(data).decode(), "owner": owner, "mode": mode}
            for path, data, owner, mode in secrets
        ],
    )


def dbd_conf_with_password(rendered: str, password: bytes) -> bytes:
    """slurmdbd.conf as rendered plus its StoragePass line (one line, no quotes or newlines)."""
    text = password.decode("utf-8", errors="strict").strip()
    if not text or any(c in text for c in '\n\r"#'):
        raise SecretFileError("the database password must be one line without quotes or '#'")
    return (rendered.rstrip("\n") + f"\nStoragePass={text}\n").encode()
