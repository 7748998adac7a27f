"""The client's key: a private key file (ed25519, ECDSA, RSA) or the keys of ssh-agent.

Loaded once per run and shared by every connection (parsing an RSA key costs milliseconds).
An encrypted key's passphrase comes from `$GPUFLEET_SSH_PASSPHRASE`, else a prompt when stdin
is a terminal.
"""

from __future__ import annotations

import getpass
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paramiko

from bootstrap.ssh.errors import AuthError

PASSPHRASE_ENV = "GPUFLEET_SSH_PASSPHRASE"


def load_keys(
    identity_file: Path | None, *, prompt: Callable[[str], str] | None = None
) -> list[paramiko.PKey]:
    """Keys to offer, in order. Raises AuthError (node "local") with the fix."""
    if identity_file is None:
        return _agent_keys()
    return [_file_key(identity_file, prompt)]


def _file_key(path: Path, prompt: Callable[[str], str] | None) -> paramiko.PKey:
    passphrase = os.environ.get(PASSPHRASE_ENV)
    try:
        return _from_path(path, passphrase)
    except FileNotFoundError:
        raise AuthError(
            "local",
            f"identity file {path} does not exist",
            remedy="fix ssh.identity_file in the inventory",
        ) from None
    except PermissionError:
        raise AuthError(
            "local",
            f"identity file {path} is not readable",
            remedy=f"chmod 600 {path} and check its owner",
        ) from None
    except (paramiko.PasswordRequiredException, TypeError) as exc:
        # paramiko 5 lets cryptography's TypeError through for encrypted OpenSSH-format keys.
        if isinstance(exc, TypeError) and "password" not in str(exc):
            raise
        if prompt is None and sys.stdin.isatty():
            prompt = getpass.getpass
        if prompt is None:
            raise AuthError(
                "local",
                f"identity file {path} is encrypted and no passphrase was given",
                remedy=f"export {PASSPHRASE_ENV}=..., or load the key into ssh-agent and drop "
                "ssh.identity_file from the inventory",
            ) from None
        try:
            return _from_path(path, prompt(f"Passphrase for {path}: "))
        except (paramiko.SSHException, ValueError) as exc:
            raise AuthError(
                "local", f"cannot decrypt {path}: {exc}", remedy="check the passphrase"
            ) from None
    except (paramiko.SSHException, ValueError) as exc:
        hint = f"check {PASSPHRASE_ENV}" if passphrase else "is it an OpenSSH private key?"
        raise AuthError("local", f"cannot load identity file {path}: {exc}", remedy=hint) from None


def _from_path(path: Path, passphrase: str | None) -> paramiko.PKey:
    # paramiko 5 documents a str password but hands it to cryptography, which wants bytes.
    password = passphrase.encode() if passphrase else None
    return paramiko.PKey.from_path(path, password)  # type: ignore[arg-type]


def _agent_keys() -> list[paramiko.PKey]:
    if not os.environ.get("SSH_AUTH_SOCK"):
        raise AuthError(
            "local",
            "no ssh.identity_file in the inventory and no ssh-agent ($SSH_AUTH_SOCK is unset)",
            remedy="set ssh.identity_file, or start ssh-agent and ssh-add a key",
        )
    keys: list[paramiko.PKey] = list(paramiko.Agent().get_keys())
    if not keys:
        raise AuthError("local", "ssh-agent holds no keys", remedy="ssh-add a key")
    # One agent socket serves every thread: signing requests must not interleave on it.
    lock = threading.Lock()
    for key in keys:
        sign = key.sign_ssh_data

        def locked_sign(*args: Any, _sign: Any = sign, **kwargs: Any) -> Any:
            with lock:
                return _sign(*args, **kwargs)

        key.sign_ssh_data = locked_sign  # type: ignore[method-assign]
    return keys
