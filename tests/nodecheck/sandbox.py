# ruff: noqa: E501  (the fakes are bash: long lines are clearer than wrapped ones)
"""A sandboxed node for the health checker: the rendered wrapper and zipapp under a root dir
(GF_ROOT), recorded-output fakes as the only tools on PATH, and python3.11 = this interpreter.

Each fake serves one recorded output from $FAKE_FACTS/<fact key> for exactly the arguments the
fact COMMAND passes, logs its call to $FAKE_FACTS/calls.log and refuses anything else (exit 97).
`curl` only answers the IMDS instance URL from a file: nothing here reaches a network.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bootstrap.render.script import build_context
from bootstrap.render.steps.health_timer import HEALTH_CHECKER, HEALTH_OUT
from infra.config import StackConfig

PRELUDE = r"""#!/bin/bash
set -u
F=$FAKE_FACTS
ME=${0##*/}
echo "$ME $*" >>"$F/calls.log"
refuse() { echo "fake $ME: unexpected arguments: $*" >&2; exit 97; }
serve() { [[ -f $F/$1 ]] || { echo "fake $ME: no recorded $1" >&2; exit 2; }; exec "$REAL_CAT" -- "$F/$1"; }
"""

FAKES: dict[str, str] = {
    "nvidia-smi": r"""
case "$*" in
  "-q -x") serve nvidia-smi-xml ;;
  "-q") serve fabric-manager ;;
  "nvlink --status") serve nvlink ;;
  "--query-gpu=index,power.limit,enforced.power.limit --format=csv,noheader,nounits") serve gpu-power ;;
  *) refuse "$@" ;;
esac
""",
    "ibv_devinfo": r"""[[ "$*" == "-v" ]] || refuse "$@"; serve ibv-devinfo""",
    "rpm": r"""[[ "$*" == "-q oracle-cloud-agent" ]] || refuse "$@"; serve oca-version""",
    "ibdev2netdev": r"""[[ $# == 0 ]] || refuse "$@"; serve ibdev2netdev""",
    "ip": r"""[[ "$*" == "-j addr" ]] || refuse "$@"; serve ip-addr""",
    "wpa_cli": r"""
[[ $# == 3 && $1 == -i && $3 == status ]] || refuse "$@"
[[ -f $F/wpa-cli.$2 ]] || { echo "Failed to connect to non-global ctrl_ifname: $2" >&2; exit 255; }
serve "wpa-cli.$2"
""",
    "dmesg": r"""[[ $# == 0 ]] || refuse "$@"; serve dmesg""",
    "findmnt": r"""[[ "$*" == "-J -o TARGET,SOURCE,FSTYPE,OPTIONS" ]] || refuse "$@"; serve mounts""",
    "curl": r"""
[[ ${!#} == http://169.254.169.254/opc/v2/instance/ ]] || refuse "$@"
serve imds-instance
""",
    "cat": r"""[[ "$*" == /var/run/oci-hpc/oci-hpc-rdma-configure.json ]] || refuse "$@"; serve oca-rdma""",
}
# Real tools the fact commands and the wrapper use (timeout runs the fakes above).
REAL_TOOLS = ("timeout", "grep", "date", "mkdir", "chmod", "mv", "uname", "rm")
# What dmesg prints on a node without Xid events (kernel lines the xid COMMAND's grep drops).
QUIET_DMESG = "[    0.000000] Linux version 5.15.0-1065-oracle\n[    2.100000] nvidia: loading out-of-tree module\n"


class CheckNode:
    """One node: `facts` (key -> text) become the fakes' recorded outputs."""

    def __init__(self, tmp: Path, config: StackConfig, facts: dict[str, str]) -> None:
        self.config = config
        self.pool = config.pools[0]
        self.ctx = build_context(config, self.pool)
        self.root = tmp / "root"
        self.bin = tmp / "bin"
        self.facts = tmp / "facts"
        for folder in (self.root, self.bin, self.facts):
            folder.mkdir(parents=True)
        for key, text in facts.items():
            (self.facts / key).write_text(text)
        for rel in ("etc/systemd/system", "usr/local/sbin"):
            (self.root / rel).mkdir(parents=True)
        self.files = {f["path"]: f for f in self.ctx["files"] if f["step"] == "health_timer"}
        for path, f in self.files.items():
            (self.root / path.lstrip("/")).write_text(f["content"])
        self.wrapper = self.root / "usr/local/sbin/gpufleet-health"
        self.install_fakes()

    @property
    def out(self) -> Path:
        return self.root / HEALTH_OUT.lstrip("/")

    @property
    def checker(self) -> Path:
        return self.root / HEALTH_CHECKER.lstrip("/")

    def install_checker(self, pyz: bytes) -> None:
        self.checker.parent.mkdir(parents=True, exist_ok=True)
        self.checker.write_bytes(pyz)

    def install_fakes(self, omit: tuple[str, ...] = ()) -> None:
        for name, body in FAKES.items():
            path = self.bin / name
            path.unlink(missing_ok=True)
            if name in omit:
                continue
            path.write_text(PRELUDE + body + "\n")
            path.chmod(0o755)
        for tool in REAL_TOOLS:
            real = shutil.which(tool, path="/usr/bin:/bin")
            assert real, f"{tool} is needed by the sandbox"
            link = self.bin / tool
            if not link.exists():
                link.symlink_to(real)
        for name in ("python3.11", "python3"):  # the wrapper's interpreter, per OS
            link = self.bin / name
            if not link.exists():
                link.symlink_to(sys.executable)

    def run(self, **env: str) -> subprocess.CompletedProcess[str]:
        base = {
            "PATH": str(self.bin),
            "GF_ROOT": str(self.root),
            "FAKE_FACTS": str(self.facts),
            "REAL_CAT": shutil.which("cat", path="/usr/bin:/bin") or "/bin/cat",
            "HOME": str(self.root),
        }
        base.update(env)
        return subprocess.run(
            ["/bin/bash", str(self.wrapper)],
            env=base,
            cwd=self.root,  # not the repo: the zipapp must not import gpufleet from the cwd
            capture_output=True,
            text=True,
            timeout=120,
        )

    def health(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.out.read_text())
        return doc

    def calls(self) -> list[str]:
        log = self.facts / "calls.log"
        return log.read_text().splitlines() if log.exists() else []


def leftovers(folder: Path) -> list[str]:
    """Files besides health.json in its folder (temp files an atomic write must not leave)."""
    return sorted(p.name for p in folder.iterdir() if p.name != "health.json")
