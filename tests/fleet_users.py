"""The test fleet's login users: per-fleet unprivileged accounts with passwordless sudo, as OCI
images have (`opc`, `ubuntu`), made with useradd and removed when their fleet stops
(`tests/sshfleet.py` describes the model). Only root can make them; otherwise the fleet logs in
as whoever runs the tests."""

from __future__ import annotations

import getpass
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SUDOERS_DIR = Path("/etc/sudoers.d")
# Variables the node's sessions carry (sshd SetEnv) that scripts under sudo still need.
_SUDO_KEEP = "GPUFLEET_NODE GPUFLEET_NODE_DIR GF_ROOT PATH"


class LoginError(RuntimeError):
    pass


@dataclass
class LoginUser:
    """The account every daemon accepts; `created` only for a per-fleet user made here."""

    name: str
    home: Path
    created: bool = False
    sudoers: Path | None = None

    @property
    def sudo(self) -> bool:
        """Whether `sudo -n` works for this user without a password."""
        root_sudo = self.name == "root" and shutil.which("sudo") is not None
        return self.sudoers is not None or root_sudo


def make_login(login: str, world: Path, *, home_name: str = "home") -> LoginUser:
    if login == "self" or os.geteuid() != 0:
        # Not root: no useradd; the fleet logs in as whoever runs the tests.
        name = getpass.getuser()
        return LoginUser(name, Path(os.path.expanduser("~")))
    if not re.fullmatch(r"[a-z][a-z0-9]{0,15}", login):
        raise LoginError(f"login base name must be a short lower-case word, got {login!r}")
    _sweep_stale_logins()
    name = f"{login}-{secrets.token_hex(3)}"
    home = world / home_name
    (world / "owner.pid").write_text(str(os.getpid()))
    # -p '*': no password can match, yet the account is not "locked" in sshd's eyes ('!').
    _retry_locked(
        ["useradd", "--no-create-home", "--home-dir", str(home), "--shell", "/bin/bash",
         "--user-group", "--password", "*", name]
    )  # fmt: skip
    account = LoginUser(name, home, created=True)
    home.mkdir()
    give(home, account)
    if shutil.which("sudo") is not None and shutil.which("visudo") is not None:
        account.sudoers = _write_sudoers(name)
    return account


def _write_sudoers(name: str) -> Path:
    final = SUDOERS_DIR / f"gpufleet-test-{name}"
    text = (
        f"# gpufleet test fleet user, removed when its fleet stops\n"
        f'Defaults:{name} env_keep += "{_SUDO_KEEP}", !secure_path\n'
        f"{name} ALL=(ALL) NOPASSWD: ALL\n"
    )
    # A name with a dot is ignored by sudo's @includedir: write there, check, then rename.
    tmp = SUDOERS_DIR / f".gpufleet-test-{name}.tmp"
    tmp.write_text(text)
    tmp.chmod(0o440)
    check = subprocess.run(["visudo", "-cqf", str(tmp)], capture_output=True, text=True)
    if check.returncode != 0:
        tmp.unlink()
        raise LoginError(f"sudoers drop-in refused by visudo: {check.stderr or check.stdout}")
    tmp.rename(final)
    return final


def _sweep_stale_logins() -> None:
    """Remove the users (and drop-ins, world folders) of fleets whose test process died without
    stopping them (SIGKILL). A fleet whose owner still runs, or whose owner is unknown, is left."""
    import pwd

    for drop_in in SUDOERS_DIR.glob("gpufleet-test-*"):
        name = drop_in.name.removeprefix("gpufleet-test-")
        try:
            world = Path(pwd.getpwnam(name).pw_dir).parent
            owner = int((world / "owner.pid").read_text())
        except (KeyError, OSError, ValueError):
            continue
        try:
            os.kill(owner, 0)
            continue  # alive (or a reused PID: then the sweep waits for a later run)
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        _stop_orphan_daemons(world / "daemons")
        remove_login(LoginUser(name, world / "home", created=True, sudoers=drop_in))
        shutil.rmtree(world, ignore_errors=True)


def _stop_orphan_daemons(listing: Path) -> None:
    """SIGTERM the sshd daemons a dead fleet started, by PID, each only while its command line
    still names that fleet's config (a PID may have been reused since)."""
    try:
        lines = listing.read_text().splitlines()
    except OSError:
        return
    for line in lines:
        pid, _, config = line.partition(" ")
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            if config and config in command:
                os.kill(int(pid), signal.SIGTERM)
        except (OSError, ValueError):
            pass


def remove_login(account: LoginUser) -> None:
    if account.sudoers is not None:
        account.sudoers.unlink(missing_ok=True)
        account.sudoers = None
    if not account.created:
        return
    _end_processes_of(account.name)
    _retry_locked(["userdel", account.name], missing_ok=True)
    account.created = False


def _end_processes_of(name: str) -> None:
    """Kill, by PID, what the per-fleet user still runs (a test's leftovers): only this fleet
    ever logs in as it."""
    import pwd

    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = []
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and proc.stat().st_uid == uid:
                    left.append(int(proc.name))
                    os.kill(int(proc.name), signal.SIGKILL)
            except OSError:
                pass
        if not left:
            return
        time.sleep(0.05)


def _retry_locked(cmd: list[str], *, missing_ok: bool = False) -> None:
    # useradd/userdel lock /etc/passwd; concurrent test runs may hold it for a moment.
    for attempt in range(50):
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode == 0:
            return
        if missing_ok and done.returncode == 6:  # userdel: user does not exist
            return
        busy = ("lock", "currently used by process")
        if not any(b in (done.stderr or "").lower() for b in busy) or attempt == 49:
            raise LoginError(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
        time.sleep(0.1 + random.random() * 0.2)


def give(path: Path, account: LoginUser, *, recursive: bool = False) -> None:
    if not account.created:
        return
    shutil.chown(path, account.name, account.name)
    if recursive and path.is_dir():
        for child in path.rglob("*"):
            shutil.chown(child, account.name, account.name)
