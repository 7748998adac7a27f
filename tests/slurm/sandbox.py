"""A real Slurm cluster on this machine, for the tests: Debian's munged, MariaDB, slurmdbd,
slurmctld and one slurmd per node, each node in its own network namespace.

Debian's slurmd is built without ``--enable-multiple-slurmd``, so every node daemon gets a
network namespace of its own (``ip netns``, named with a random tag so concurrent runs never
meet) joined by veth pairs to a bridge inside the controller's namespace: addresses on
10.77.0.0/24 exist only inside these namespaces, nothing reaches the host's network. Each daemon
also runs in its own mount and UTS namespace (``unshare``), so its hostname is its Slurm name
and a test hosts file is bind-mounted over /etc/hosts. munged listens on a path socket in the
sandbox folder (``AuthInfo=socket=...``), which every namespace can reach.

Every process is started with its own PID known (nsenter/unshare/sh exec into the daemon) and
stopped by that PID; the namespaces are deleted on the way out.
"""

from __future__ import annotations

import os
import secrets
import signal
import stat
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bootstrap.health.quarantine import Quarantine
from bootstrap.slurm import SlurmSite, render_slurm
from bootstrap.slurm.conf import controllers
from bootstrap.slurm.members import members
from bootstrap.topology.placement import Placement
from infra.config import StackConfig
from tests.slurm.mariadb import install_datadir, mariadbd_command

NET = "10.77"  # a /16 that exists only inside the sandbox's namespaces


def address(index: int) -> str:
    """Node `index`'s address; the controller is 10.77.0.1."""
    return f"{NET}.{1 + index // 250}.{1 + index % 250}"


DB_PASSWORD = "sandbox-" + secrets.token_hex(8)


def _wait(what: str, probe, timeout: float = 60.0, every: float = 0.5):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s (last: {last!r})")


@dataclass
class SlurmSandbox:
    root: Path
    config: StackConfig
    measured: Mapping[str, Placement] | None = None
    quarantine: Quarantine | None = None
    accounting: bool = True
    slurmd: bool = True  # False: the controller alone (node names then need not resolve)
    # slurm.conf keys whose rendered value the sandbox replaces (each must be rendered), e.g.
    # a SlurmctldTimeout a test can wait out
    overrides: Mapping[str, str] = field(default_factory=dict)
    tag: str = field(default_factory=lambda: "gf" + secrets.token_hex(4))
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    namespaces: list[str] = field(default_factory=list)

    # --- layout -------------------------------------------------------------------------------

    @property
    def ctl(self) -> str:
        return controllers(self.config)[0].name

    @property
    def nodes(self) -> list[str]:
        """The nodes that get a namespace and a slurmd."""
        if not self.slurmd:
            return []
        return [m.name for m in members(self.config, None, self.quarantine)]

    @property
    def backups(self) -> list[str]:
        """The backup controllers (SlurmctldHost after the first): a namespace and a slurmctld
        each, on the next addresses after the primary's."""
        return [c.name for c in controllers(self.config)][1:]

    def ns(self, host: str) -> str:
        if host == self.ctl:
            return f"{self.tag}-c"
        if host in self.backups:
            return f"{self.tag}-b{self.backups.index(host)}"
        return f"{self.tag}-{self.nodes.index(host)}"

    @property
    def site(self) -> SlurmSite:
        r = self.root
        return SlurmSite(
            conf_dir=str(r / "etc"), state_dir=str(r / "state"), spool_dir=str(r / "spool"),
            log_dir=str(r / "log"), run_dir=str(r / "run"), dev_dir=str(r / "dev"),
            health_program=str(r / "etc" / "health.sh"), prolog=str(r / "etc" / "prolog.sh"),
            health_file=str(r / "health" / "%n.json"), python="python3",
            nvidia_smi=str(r / "bin" / "nvidia-smi"), slurm_user="root",
            munge_socket=str(r / "munge" / "munge.socket.2"), emulate_hardware=True,
            db_host="127.0.0.1", accounting=self.accounting,
        )  # fmt: skip

    # --- running things -----------------------------------------------------------------------

    def _wrap(self, host: str, cmd: Sequence[str], *, uts: bool = True) -> list[str]:
        # /etc/hosts and nsswitch.conf (hosts: files) from the sandbox: names resolve from
        # the test's hosts file only, never through DNS.
        script = (
            'mount --bind "$1" /etc/hosts && mount --bind "${1%/*}/nsswitch.conf" '
            '/etc/nsswitch.conf && { [ -z "$2" ] || hostname "$2"; } && shift 2 && exec "$@"'
        )
        return ["nsenter", f"--net=/run/netns/{self.ns(host)}", "unshare", "--mount",
                *(["--uts"] if uts else []), "--propagation", "private", "sh", "-c", script, "sh",
                str(self.root / "hosts"), host if uts else "", *cmd]  # fmt: skip

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.root / "etc" / "slurm.conf")}

    def run(self, *cmd: str, timeout: float = 60, check: bool = True,
            env: Mapping[str, str] | None = None) -> str:  # fmt: skip
        """Run a client command (scontrol, srun, sacct...) in the controller's namespace."""
        done = subprocess.run(self._wrap(self.ctl, cmd, uts=False), env={**self.env, **(env or {})},
                              capture_output=True, text=True, timeout=timeout)  # fmt: skip
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}\n"
                                 f"{done.stderr}\n{self.logs()}")  # fmt: skip
        return done.stdout

    def run_on(self, host: str, *cmd: str, check: bool = True) -> str:
        """Run a command in `host`'s namespace, under its hostname (as its slurmd would)."""
        done = subprocess.run(self._wrap(host, cmd), env=self.env, capture_output=True,
                              text=True, timeout=60)  # fmt: skip
        if check and done.returncode != 0:
            raise AssertionError(f"{cmd} on {host} exited {done.returncode}: {done.stderr}")
        return done.stdout

    def daemon(
        self, name: str, host: str, cmd: Sequence[str], env: Mapping[str, str] | None = None
    ) -> None:
        log = open(self.root / "log" / f"{name}.out", "wb")  # noqa: SIM115 (the daemon holds it)
        full = {k: v for k, v in {**self.env, **(env or {})}.items() if v}
        self.procs[name] = subprocess.Popen(self._wrap(host, cmd), env=full, stdout=log,
                                            stderr=subprocess.STDOUT)  # fmt: skip

    def stop_daemon(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def logs(self) -> str:
        out = []
        for path in sorted((self.root / "log").glob("*")):
            text = path.read_text(errors="replace").splitlines()[-15:]
            out.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(out)

    # --- set up -------------------------------------------------------------------------------

    def _ip(self, *args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)

    def _network(self) -> None:
        ctl = [c.name for c in controllers(self.config)]
        hosts = ["127.0.0.1 localhost", *(f"{NET}.0.{1 + i} {c}" for i, c in enumerate(ctl))]
        c = self.ns(self.ctl)
        self._ip("netns", "add", c)
        self.namespaces.append(c)
        self._ip("-n", c, "link", "set", "lo", "up")
        self._ip("-n", c, "link", "add", "br0", "type", "bridge")
        self._ip("-n", c, "addr", "add", f"{NET}.0.1/16", "dev", "br0")
        self._ip("-n", c, "link", "set", "br0", "up")
        for i, backup in enumerate(self.backups):
            self._attach(self.ns(backup), f"b{i}", f"{NET}.0.{2 + i}")
        for i, node in enumerate(self.nodes):
            self._attach(self.ns(node), f"v{i}", address(i))
        everyone = [m.name for m in members(self.config, None, self.quarantine)]
        hosts += [f"{address(i)} {name}" for i, name in enumerate(everyone)]
        (self.root / "hosts").write_text("\n".join(hosts) + "\n")
        (self.root / "nsswitch.conf").write_text("passwd: files\ngroup: files\nhosts: files\n")

    def _attach(self, ns: str, veth: str, addr: str) -> None:
        """A namespace `ns` whose eth0 (`addr`) is plugged into the controller's bridge."""
        c = self.ns(self.ctl)
        self._ip("netns", "add", ns)
        self.namespaces.append(ns)
        self._ip("-n", ns, "link", "set", "lo", "up")
        self._ip("-n", c, "link", "add", veth, "type", "veth", "peer", "name", "eth0",
                 "netns", ns)  # fmt: skip
        self._ip("-n", c, "link", "set", veth, "master", "br0", "up")
        self._ip("-n", ns, "addr", "add", f"{addr}/16", "dev", "eth0")
        self._ip("-n", ns, "link", "set", "eth0", "up")

    def _files(self) -> None:
        for d in ("etc", "state", "spool", "log", "run", "dev", "health", "bin", "db", "munge"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        for node in self.nodes:
            (self.root / "spool" / node).mkdir(exist_ok=True)
        for i in range(8):  # the GPUs gres.conf names: /dev/null's device stands in for each
            gpu = self.root / "dev" / f"nvidia{i}"
            if not gpu.exists():
                os.mknod(gpu, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        files = render_slurm(self.config, self.site, quarantine=self.quarantine,
                             measured=self.measured)  # fmt: skip
        pool = self.config.pools[0].name
        conf = files["slurm.conf"].splitlines()
        for key, value in self.overrides.items():
            at = [i for i, line in enumerate(conf) if line.startswith(f"{key}=")]
            assert at, f"{key} is not in the rendered slurm.conf"
            conf[at[0]] = f"{key}={value}"
        files["slurm.conf"] = "\n".join(conf) + "\n"
        for name, text in files.items():
            (self.root / "etc" / name).write_text(text)
        health = self.root / "etc" / "health.sh"
        health.write_text(files[f"health-{pool}.sh"])
        prolog = self.root / "etc" / "prolog.sh"
        prolog.write_text(f"#!/bin/sh\nexec {health} --prolog\n")
        fake_smi = self.root / "bin" / "nvidia-smi"
        # `nvidia-smi -L` for the prolog: eight GPUs, or as many as health/<node>.gpus says.
        fake_smi.write_text(
            "#!/bin/sh\n"
            f'n=$(cat "{self.root}/health/$(hostname -s).gpus" 2>/dev/null || echo 8)\n'
            'i=0; while [ "$i" -lt "$n" ]; do\n'
            '  echo "GPU $i: NVIDIA H100 80GB HBM3"; i=$((i+1))\n'
            "done\n"
        )
        for path in (health, prolog, fake_smi):
            path.chmod(0o755)
        dbd = self.root / "etc" / "slurmdbd.conf"
        dbd.write_text(dbd.read_text() + f"StoragePass={DB_PASSWORD}\n")
        dbd.chmod(0o600)
        key = self.root / "etc" / "munge.key"
        key.write_bytes(secrets.token_bytes(1024))
        key.chmod(0o400)
        self.root.chmod(0o755)

    def _munge(self) -> None:
        r = self.root
        proc = subprocess.Popen(
            ["munged", "--foreground", "--force", f"--key-file={r / 'etc' / 'munge.key'}",
             f"--socket={r / 'munge' / 'munge.socket.2'}", f"--pid-file={r / 'run' / 'munged.pid'}",
             f"--log-file={r / 'log' / 'munged.log'}", f"--seed-file={r / 'run' / 'munged.seed'}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.procs["munged"] = proc
        _wait("munged socket", (r / "munge" / "munge.socket.2").exists, 20, 0.1)

    def _mariadb(self) -> None:
        r = self.root
        install_datadir(r / "db")
        self.start_mariadb()
        sql = (f"CREATE USER 'slurm'@'%' IDENTIFIED BY '{DB_PASSWORD}';"
               "GRANT ALL ON slurm_acct_db.* TO 'slurm'@'%';")  # fmt: skip
        client = ["mariadb", "--no-defaults", "-S", str(r / "run" / "mysqld.sock"), "-u", "root"]
        subprocess.run([*client, "-e", sql], check=True, capture_output=True, timeout=30)

    def start_mariadb(self) -> None:
        r = self.root
        self.daemon("mariadbd", self.ctl, mariadbd_command(
            r / "db", r / "run", r / "log" / "mysqld.log", "--port=3306", "--bind-address=127.0.0.1"
        ))  # fmt: skip
        _wait("mariadb socket", (r / "run" / "mysqld.sock").exists, 60, 0.2)

    def start_slurmdbd(self) -> None:
        self.daemon("slurmdbd", self.ctl, ["slurmdbd", "-D"])
        _wait("slurmdbd port", lambda: self._listening(self.site.slurmdbd_port), 60)

    def _listening(self, port: int) -> bool:
        out = subprocess.run(["nsenter", f"--net=/run/netns/{self.ns(self.ctl)}", "ss", "-ltnH"],
                             capture_output=True, text=True, timeout=10).stdout  # fmt: skip
        return f":{port} " in out

    def start(self) -> SlurmSandbox:
        self._files()
        self._network()
        self._munge()
        if self.accounting:
            self._mariadb()
            self.start_slurmdbd()
        self.daemon(
            "slurmctld", self.ctl, ["slurmctld", "-D", "-f", str(self.root / "etc" / "slurm.conf")]
        )
        # 12,750 node names resolve one by one from a hosts file at start: about a minute.
        _wait("slurmctld", lambda: self.run("scontrol", "ping", check=False).find("UP") >= 0, 240)
        for backup in self.backups:
            # Same files and StateSaveLocation (shared, as the config rule demands), its own
            # run folder: slurmctld signals whatever PID its SlurmctldPidFile names at start.
            run = self.root / f"run-{backup}"
            run.mkdir(exist_ok=True)
            conf = str(self.root / "etc" / "slurm.conf")
            self.daemon(f"slurmctld-{backup}", backup, [
                "sh", "-c", 'mount --bind "$0" "$1" && exec slurmctld -D -f "$2"',
                str(run), str(self.root / "run"), conf])  # fmt: skip
            _wait("backup slurmctld", lambda: self.controllers_up() == len(self.backups) + 1, 60)
        for node in self.nodes:
            # Configless, as the join_slurm step starts it: the node has no slurm.conf and
            # fetches every file from the controller. Before it has a config it knows only
            # munge's default socket, so that path (/run/munge, in the node's own mount
            # namespace on a private /run) leads to the sandbox's munged. `-N` names the node
            # before its config arrives: all the sandbox's slurmds share one disk, and without
            # it SlurmdSpoolDir's %n is still empty when each writes its conf-cache (they raced
            # on one spool/conf-cache folder). A real node has its own disk and no -N.
            self.daemon(
                f"slurmd-{node}",
                node,
                ["sh", "-c", 'mount -t tmpfs tmpfs /run && mkdir /run/munge && '
                 'mount --bind "$0" /run/munge && exec slurmd -D -N "$2" --conf-server "$1"',
                 str(self.root / "munge"), f"{self.ctl}:{self.site.slurmctld_port}", node],
                env={"SLURM_CONF": ""},
            )  # fmt: skip
        if self.nodes:
            _wait("every slurmd registered", self._all_responding, 90)
        return self

    def controllers_up(self) -> int:
        """How many controllers `scontrol ping` reports UP."""
        return self.run("scontrol", "ping", check=False).count(" is UP")

    def node_states(self) -> dict[str, str]:
        out = self.run("sinfo", "-h", "-N", "-o", "%N %T")
        return dict(line.split()[:2] for line in out.splitlines() if line.strip())

    def _all_responding(self) -> bool:
        states = self.node_states()
        return len(states) == len(self.nodes) and not any(
            s.endswith("*") or s.startswith(("unknown", "down", "not_responding"))
            for s in states.values()
        )

    def stop(self) -> None:
        for name in list(self.procs)[::-1]:
            self.stop_daemon(name)
        for ns in self.namespaces[::-1]:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)
        self.namespaces.clear()
