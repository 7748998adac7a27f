"""A fleet of real OpenSSH daemons on loopback, for tests and benchmarks.

    fleet = start_fleet(tmp_path, nodes=32)
    try:
        inventory = fleet.write_inventory(tmp_path / "inventory.json")
        ...
    finally:
        fleet.stop()

Topology (mirrors an OCI cluster: only the bastion is reachable from outside):

    test process ──ssh──> bastion sshd 127.S.T.1  ──direct-tcpip──> node sshd 127.S.T.2 …

* Every daemon is a real `/usr/sbin/sshd -D` started by this module; `stop()` terminates exactly
  the PIDs it started (never a broad `pkill`).
* Throwaway host keys (one per daemon) and one user key are made with `ssh-keygen` in the fleet's
  folder; `known_hosts` lists every daemon. `UsePAM no`, `StrictModes no`, `MaxStartups` raised
  above any test's concurrency, pid files and logs inside the folder.
* Each node's sessions get `GPUFLEET_NODE=<name>` and `GPUFLEET_NODE_DIR=<folder>` through
  sshd's `SetEnv`, so scripts write their markers per node although all nodes share one disk;
  `GPUFLEET_LOCK_DIR=<folder>` gives each node its own job lock for the same reason.
  `HOME` is set to a per-node folder too: the login shell then skips the real user's
  `~/.bashrc` (bash sources it for sshd sessions; on a developer box it may run slow or
  lock-taking things such as `pyenv rehash`, which serialised concurrent sessions).
* The login user mirrors OCI images (`tests/fleet_users.py`): an unprivileged user (`opc`, `ubuntu`)
  with passwordless sudo. Each fleet creates its own user `<base>-<6 hex>` with `useradd` (so
  concurrent test runs never share one), a locked-for-passwords account (`*`, not `!`: sshd refuses
  keys for `!`-locked accounts when PAM is off), home and node folders under a private world folder
  in /tmp (mode 0711: the user can reach only its own folders), and a sudoers drop-in
  `/etc/sudoers.d/gpufleet-test-<user>` checked with `visudo -c` before it is moved in place.
  `stop()` removes the drop-in, the user (after ending, by PID, the processes it still owns) and the
  world folder. The drop-in keeps `PATH` and the node variables under sudo: the fake tools that
  stand in for system tools sit in the node's `~/bin`, where a real node has them in /usr/bin
  (inside sudo's secure_path). `start_fleet(..., login="self")` keeps the old fleet that logs in as
  the user running the tests (root here), for the few tests that need it.
* Nodes refuse logins that do not come through the bastion: `AllowUsers <user>@<bastion ip>`.
  On loopback every connection would otherwise come from 127.0.0.1, bastion-forwarded or not, so
  the bastion daemon runs with a tiny `LD_PRELOAD` shim (compiled here with `cc`) that binds its
  outgoing sockets to the bastion's own address, as a real bastion's traffic would carry its
  own IP. Without a C compiler the fleet still works but cannot tell the two apart
  (`fleet.isolated` is False and the isolation test skips).

The subnet is random per fleet and each daemon gets a free port on its own address, so fleets
of concurrent test runs don't collide.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tests import fleet_users
from tests.fleet_users import LoginUser

SSHD = "/usr/sbin/sshd"
SFTP_SERVER = "/usr/lib/openssh/sftp-server"
START_TIMEOUT_S = 20.0

_BIND_SHIM_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

/* Bind every outgoing IPv4 socket to $GPUFLEET_BIND_SRC before connecting. */
int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    static connect_fn real_connect;
    if (!real_connect) real_connect = (connect_fn)dlsym(RTLD_NEXT, "connect");
    const char *src = getenv("GPUFLEET_BIND_SRC");
    if (src && addr && addr->sa_family == AF_INET) {
        struct sockaddr_in local;
        memset(&local, 0, sizeof local);
        local.sin_family = AF_INET;
        if (inet_pton(AF_INET, src, &local.sin_addr) == 1)
            (void)bind(fd, (struct sockaddr *)&local, sizeof local);
    }
    return real_connect(fd, addr, len);
}
"""


class FleetError(RuntimeError):
    pass


def sshd_available() -> bool:
    return Path(SSHD).is_file() and shutil.which("ssh-keygen") is not None


@dataclass
class Daemon:
    name: str
    address: str
    port: int
    folder: Path
    config: Path
    log: Path
    extra_config: str = ""
    process: subprocess.Popen[bytes] | None = None
    world: Path | None = None  # the node's folders the login user can reach (nodes only)

    @property
    def host_key(self) -> Path:
        return self.folder / "host_ed25519"

    @property
    def home(self) -> Path:
        """The node's `$HOME` (its sessions' ~/.bashrc and ~/bin)."""
        assert self.world is not None, "the bastion has no node folders"
        return self.world / "home"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Fleet:
    root: Path
    user: str
    user_key: Path
    known_hosts: Path
    bastion: Daemon
    nodes: list[Daemon]
    isolated: bool
    login: LoginUser
    world: Path  # folders the login user reaches: its home, node folders, shared test data
    # base name -> another account every daemon accepts (an Ubuntu pool's "ubuntu" beside "opc")
    others: dict[str, LoginUser] = field(default_factory=dict)
    _shim: Path | None = None
    _started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    # ---- per-node data -------------------------------------------------------------------
    def node(self, name: str) -> Daemon:
        for daemon in self.nodes:
            if daemon.name == name:
                return daemon
        raise KeyError(name)

    def node_dir(self, name: str) -> Path:
        """`$GPUFLEET_NODE_DIR` of node `name`: where its scripts write their markers."""
        world = self.node(name).world
        assert world is not None
        return world / "root"

    @property
    def home(self) -> Path:
        """The login user's home: where sessions start (scripts' `.gpufleet/` lands here)."""
        return self.login.home

    def shared_dir(self, name: str) -> Path:
        """A new folder that every node's sessions can read and write (test data, fakes)."""
        path = self.world / "shared" / name
        path.mkdir(parents=True)
        fleet_users.give(path, self.login)
        return path

    def give(self, *paths: Path) -> None:
        """Hand files written by the test (as root) under the world folder to the login user."""
        for path in paths:
            fleet_users.give(path, self.login, recursive=True)

    def write_inventory(
        self,
        path: Path,
        *,
        pools: dict[str, list[str]] | None = None,
        extra_nodes: Iterable[dict[str, object]] = (),
        ssh: dict[str, object] | None = None,
    ) -> Path:
        """Write a gpufleet JSON inventory for this fleet; every node is in pool "train"
        unless `pools` maps pool names to node names."""
        pool_of = {n: pool for pool, names in (pools or {}).items() for n in names}
        nodes: list[dict[str, object]] = [
            {
                "name": d.name,
                "host": d.address,
                "port": d.port,
                "pool": pool_of.get(d.name, "train"),
                "shape": "BM.GPU.H100.8",
            }
            for d in self.nodes
        ]
        nodes.extend(extra_nodes)
        doc = {
            "ssh": {
                "user": self.user,
                "identity_file": str(self.user_key),
                "known_hosts": str(self.known_hosts),
                "bastion": {
                    "host": self.bastion.address,
                    "port": self.bastion.port,
                    "user": self.user,
                },
                **(ssh or {}),
            },
            "nodes": nodes,
        }
        path.write_text(json.dumps(doc, indent=2))
        return path

    # ---- measurements --------------------------------------------------------------------
    def bastion_log_size(self) -> int:
        return self.bastion.log.stat().st_size

    def bastion_log_since(self, offset: int) -> str:
        with self.bastion.log.open("rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def stop(self) -> None:
        """Terminate exactly the daemons this fleet started, reap them, then remove the
        per-fleet user, its sudoers drop-in and the world folder."""
        self._stop_daemons()
        for account in [self.login, *self.others.values()]:
            fleet_users.remove_login(account)
        shutil.rmtree(self.world, ignore_errors=True)

    def _stop_daemons(self) -> None:
        for proc in self._started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self._started:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self._started.clear()


def start_fleet(
    root: Path,
    nodes: int,
    *,
    node_config: str = "",
    max_startups: int = 400,
    bastion_log_level: str = "DEBUG2",
    login: str = "opc",
    other_logins: tuple[str, ...] = (),
) -> Fleet:
    """Start a bastion and `nodes` node daemons under folder `root` (created). The bastion
    logs at DEBUG2 by default so tests can count its tunnels (`max_open_tunnels`);
    benchmarks pass "INFO". `login`: base name of the per-fleet unprivileged sudo user
    ("opc", "ubuntu"), or "self" for the user running the tests; `other_logins`: base names of
    more such users every daemon accepts (`fleet.others[base].name`), with homes of their own."""
    if not sshd_available():
        raise FleetError(f"{SSHD} or ssh-keygen not found (apt-get install openssh-server)")
    if nodes > 250 * 200:
        raise FleetError("too many nodes for one loopback /16")
    root.mkdir(parents=True, exist_ok=True)
    _ensure_privsep_dir()
    world = Path(tempfile.mkdtemp(prefix="gpufleet-world-"))
    world.chmod(0o711)
    accounts: list[LoginUser] = []
    try:
        accounts.append(fleet_users.make_login(login, world))
        for base in other_logins:
            accounts.append(fleet_users.make_login(base, world, home_name=f"home-{base}"))
        fleet = _start(root, nodes, node_config, max_startups, bastion_log_level, accounts, world)
    except BaseException:
        for account in accounts:
            fleet_users.remove_login(account)
        shutil.rmtree(world, ignore_errors=True)
        raise
    fleet.others = dict(zip(other_logins, accounts[1:], strict=True))
    return fleet


def _start(
    root: Path,
    nodes: int,
    node_config: str,
    max_startups: int,
    bastion_log_level: str,
    accounts: list[LoginUser],
    world: Path,
) -> Fleet:
    account = accounts[0]
    user = account.name
    user_key = root / "id_ed25519"
    _keygen(user_key)
    authorized = world / "authorized_keys"  # sshd reads it as the login user
    authorized.write_text(Path(f"{user_key}.pub").read_text())
    authorized.chmod(0o644)

    s, t = random.randint(100, 250), random.randint(0, 200)
    bastion = _daemon(root, "bastion", f"127.{s}.{t}.1")
    node_daemons = [
        _daemon(root, f"node-{i:04d}", f"127.{s}.{t + (i + 1) // 254}.{(i + 1) % 254 + 1}")
        for i in range(nodes)
    ]
    shim = _compile_shim(root)
    common = _common_config(authorized, max_startups)
    bastion.extra_config = common + f"AllowTcpForwarding yes\nLogLevel {bastion_log_level}\n"
    for d in node_daemons:
        d.world = world / d.name
        for sub in ("", "root", "home"):
            (d.world / sub).mkdir(exist_ok=True)
            fleet_users.give(d.world / sub, account)
        allowed = " ".join(f"{a.name}@{bastion.address}" for a in accounts)
        allow = f"AllowUsers {allowed}\n" if shim else ""
        d.extra_config = (
            common
            + allow
            + "AllowTcpForwarding no\nLogLevel VERBOSE\n"
            + f"SetEnv GPUFLEET_NODE={d.name} GPUFLEET_NODE_DIR={d.world / 'root'} "
            f"GPUFLEET_LOCK_DIR={d.world} HOME={d.home}\n" + node_config
        )
    for d in [bastion, *node_daemons]:
        _keygen(d.host_key)
        _write_config(d)

    known_hosts = root / "known_hosts"
    known_hosts.write_text("".join(_known_hosts_line(d) for d in [bastion, *node_daemons]))
    fleet = Fleet(
        root, user, user_key, known_hosts, bastion, node_daemons, shim is not None, account, world
    )
    fleet._shim = shim
    try:
        bastion_env = dict(os.environ)
        if shim:
            bastion_env |= {"LD_PRELOAD": str(shim), "GPUFLEET_BIND_SRC": bastion.address}
        fleet._started.append(_spawn(bastion, env=bastion_env))
        for d in node_daemons:
            fleet._started.append(_spawn(d, env=None))
        # for a later run's sweep, should this process die without stop()
        (world / "daemons").write_text(
            "".join(f"{d.process.pid} {d.config}\n" for d in [bastion, *node_daemons] if d.process)
        )
        _wait_listening([bastion, *node_daemons])
    except BaseException:
        fleet._stop_daemons()
        raise
    return fleet


# ---- helpers -----------------------------------------------------------------------------------


def _ensure_privsep_dir() -> None:
    # sshd running as root chroots its pre-auth child into /run/sshd; a container that never
    # ran the sshd service lacks it.
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "gpufleet-test", "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )


def _free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        port: int = sock.getsockname()[1]
        return port


def _daemon(root: Path, name: str, address: str) -> Daemon:
    folder = root / name
    folder.mkdir()
    return Daemon(
        name, address, _free_port(address), folder, folder / "sshd_config", folder / "sshd.log"
    )


def _common_config(authorized_keys: Path, max_startups: int) -> str:
    return (
        f"AuthorizedKeysFile {authorized_keys}\n"
        "UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
        "UseDNS no\nPrintMotd no\nPrintLastLog no\nX11Forwarding no\n"
        f"MaxStartups {max_startups}\nMaxSessions 20\n"
        f"Subsystem sftp {SFTP_SERVER}\n"
    )


def _write_config(d: Daemon) -> None:
    d.config.write_text(
        f"ListenAddress {d.address}:{d.port}\n"
        f"HostKey {d.host_key}\n"
        f"PidFile {d.folder / 'sshd.pid'}\n" + d.extra_config
    )


def _known_hosts_line(d: Daemon) -> str:
    kind, blob = Path(f"{d.host_key}.pub").read_text().split()[:2]
    return f"[{d.address}]:{d.port} {kind} {blob}\n"


def _compile_shim(root: Path) -> Path | None:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    source, shim = root / "bind_shim.c", root / "bind_shim.so"
    source.write_text(_BIND_SHIM_C)
    done = subprocess.run(
        [cc, "-shared", "-fPIC", "-O2", "-o", str(shim), str(source), "-ldl"],
        capture_output=True,
        check=False,
    )
    return shim if done.returncode == 0 else None


def _spawn(d: Daemon, env: dict[str, str] | None) -> subprocess.Popen[bytes]:
    d.log.write_text("")
    d.process = subprocess.Popen(
        [SSHD, "-D", "-f", str(d.config), "-E", str(d.log)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,  # a Ctrl-C in the test terminal must not reach the daemons
    )
    return d.process


def _wait_listening(daemons: list[Daemon]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    pending = list(daemons)
    while pending:
        for d in list(pending):
            if "Server listening on" in d.log_text():
                pending.remove(d)
            elif d.process is not None and d.process.poll() is not None:
                raise FleetError(f"sshd {d.name} exited at start:\n{d.log_text()}")
        if pending and time.monotonic() > deadline:
            raise FleetError(f"sshd did not start in {START_TIMEOUT_S}s: {pending[0].name}")
        if pending:
            time.sleep(0.02)


def max_open_tunnels(bastion_log: str) -> int:
    """Most direct-tcpip channels held by the client at once, from the bastion's DEBUG2 log:
    a channel counts from its open to the client's close ("rcvd close"; the bastion frees it a
    little later). One bastion connection is one sshd process writing its lines in order, so
    the count is exact."""
    tunnels: set[str] = set()
    open_now = peak = 0
    for line in bastion_log.splitlines():
        if match := re.search(r"channel (\d+): new direct-tcpip", line):
            tunnels.add(match[1])
            open_now += 1
            peak = max(peak, open_now)
        elif (match := re.search(r"channel (\d+): rcvd close", line)) and match[1] in tunnels:
            tunnels.discard(match[1])
            open_now -= 1
    return peak


def accepted_logins(log: str) -> int:
    return log.count("Accepted publickey")


def _stat_fields(pid: str) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid pgrp ..." -- comm may hold spaces and parentheses
    return [
        pid,
        text[text.index("(") + 1 : text.rindex(")")],
        *text[text.rindex(")") + 2 :].split(),
    ]


def session_pids(daemon: Daemon) -> list[int]:
    """PIDs of the sshd processes serving `daemon`'s connections (descendants of the listener
    this module started, named sshd), for tests that cut a connection the way a crash would."""
    if daemon.process is None:
        return []
    children: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(entry.name)) is not None:
            children.setdefault(int(fields[3]), []).append((int(fields[0]), fields[1]))
    found, todo = [], [daemon.process.pid]
    while todo:
        for pid, comm in children.get(todo.pop(), []):
            if comm == "sshd":
                found.append(pid)
                todo.append(pid)
    return found


def process_group_alive(pgid: int) -> bool:
    """Whether any process of process group `pgid` still exists (zombies count as gone)."""
    for entry in Path("/proc").iterdir():
        fields = _stat_fields(entry.name) if entry.name.isdigit() else None
        if fields is not None and int(fields[4]) == pgid and fields[2] != "Z":
            return True
    return False
