"""A node root made for one test, where the rendered bootstrap installs with the REAL apt-get
and dnf from the stand-in NVIDIA repositories (tests/packages/stub_repos.py).

The package managers never touch this machine's own system: on PATH (which holds nothing
else) `apt-get` and `dpkg-query` run the real tools with an APT configuration and dpkg admin
directory inside the test root; `dnf` and `rpm` run the real tools with `--installroot` /
`--root`. These wrappers only add the root; every resolution decision is the real tool's.
The tools that would touch the machine's kernel or services (nvidia-smi, systemctl, modprobe)
are the recorded-output fakes of tests/node_script/fakes.py.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from bootstrap.render.engine import first_boot_script
from bootstrap.render.node_os import NODE_OS
from bootstrap.render.script import build_context, step_of
from infra.config import StackConfig
from infra.shapes import CATALOG
from tests.node_script import fakes
from tests.node_script.conftest import lay_out_fresh_node
from tests.packages import stub_repos

SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"

APT_CONF = """\
Dir::State "{root}/var/lib/apt";
Dir::State::status "{root}/var/lib/dpkg/status";
Dir::Cache "{root}/var/cache/apt";
Dir::Etc "{root}/etc/apt";
Dir::Log "{root}/var/log/apt";
DPkg::Options {{ "--root={root}"; "--log={root}/var/log/dpkg.log"; }};
APT::Sandbox::User "root";
"""

WRAPPERS = {
    "apt-get": 'APT_CONFIG="$PM_STATE/apt.conf" PATH={path} exec /usr/bin/apt-get "$@"',
    "dpkg-query": 'PATH={path} exec /usr/bin/dpkg-query --admindir="$GF_ROOT/var/lib/dpkg" "$@"',
    "dnf": (
        'PATH={path} exec /usr/bin/dnf --installroot="$GF_ROOT" '
        '--setopt=reposdir="$GF_ROOT/etc/yum.repos.d" --setopt=cachedir="$GF_ROOT/var/cache/dnf" '
        '--setopt=logdir="$GF_ROOT/var/log" --releasever="$PM_RELEASEVER" '
        '--setopt=module_platform_id="platform:el$PM_RELEASEVER" "$@"'
    ),
    "rpm": 'PATH={path} exec /usr/bin/rpm --root="$GF_ROOT" "$@"',
    # Only the local stand-in mirror (file://) may be fetched from; anything else is refused.
    "curl": '[[ ${{!#}} == file:///* ]] || exit 97; PATH={path} exec /usr/bin/curl "$@"',
    "gpg": 'PATH={path} exec /usr/bin/gpg "$@"',
    "mktemp": 'exec /usr/bin/mktemp -p "$PM_STATE" "$@"',
}


class PmNode:
    """The rendered script of `config`'s first pool, a root for it, and its package managers."""

    def __init__(self, tmp: Path, config: StackConfig) -> None:
        pool = config.pools[0]
        self.os = pool.os
        self.shape = CATALOG[pool.shape]
        self.ctx: dict[str, Any] = build_context(config, pool, checker=False)
        self.family = self.ctx["pkg_family"]
        self.releasever = NODE_OS[pool.os].version.split(".")[0]
        self.script = tmp / "bootstrap.sh"
        self.script.write_text(first_boot_script(config, pool))  # what first boot runs
        self.root, self.state, self.bin = tmp / "root", tmp / "state", tmp / "bin"
        self.imds = tmp / "imds"
        self.repo = step_of(self.ctx, "nvidia_repo")["vars"]
        lay_out_fresh_node(self.root, self.state, self.imds, self.shape, pool.os)
        fakes.install(self.bin)
        for name, body in WRAPPERS.items():
            path = self.bin / name
            path.unlink(missing_ok=True)
            log = 'echo "${0##*/} $*" >>"$PM_STATE/pm-calls.log"\n'
            path.write_text("#!/bin/bash\n" + log + body.format(path=SYSTEM_PATH) + "\n")
            path.chmod(0o755)
        if self.family == "apt":
            for d in (
                "var/lib/dpkg/info",
                "var/lib/dpkg/updates",
                "var/lib/apt/lists/partial",
                "var/cache/apt/archives/partial",
                "etc/apt/sources.list.d",
                "etc/apt/preferences.d",
                "etc/apt/apt.conf.d",
                "var/log/apt",
            ):
                (self.root / d).mkdir(parents=True, exist_ok=True)
            self._write("var/lib/dpkg/status", "")
            conf = APT_CONF.format(root=self.root)
            if self.shape.cpu_arch == "aarch64":
                # An Arm node's apt and dpkg take arm64 as theirs. This machine's dpkg is
                # amd64-native, so the root lists arm64 as a foreign architecture it may
                # install, and apt resolves for arm64 only.
                subprocess.run(
                    ["dpkg", f"--root={self.root}", "--add-architecture", "arm64"], check=True
                )
                conf += 'APT::Architecture "arm64";\nAPT::Architectures { "arm64"; };\n'
            (self.state / "apt.conf").write_text(conf)
        else:
            for d in ("etc/yum.repos.d", "var/log"):
                (self.root / d).mkdir(parents=True, exist_ok=True)

    def _write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def add_repo(self) -> None:
        """The image already has the CUDA repository configured (as OCI's GPU images do), in a
        file of its own naming and trusting it its own way."""
        url = self.repo["url"]
        if self.family == "apt":
            self._write("etc/apt/sources.list.d/image-cuda.list", f"deb [trusted=yes] {url} /\n")
        else:
            repo = f"[image-cuda]\nname=cuda\nbaseurl={url}\nenabled=1\ngpgcheck=0\n"
            self._write("etc/yum.repos.d/image-cuda.repo", repo)

    def add_archive(self, archive: Path) -> None:
        """The image's own OS repositories (tests/packages/stub_repos.py `build_*_archive`),
        configured and trusted as the image configures them."""
        key = archive / "archive-key.gpg"
        if self.family == "apt":
            suite = stub_repos.archive(self.os)["suite"]
            comps = " ".join(sorted(p.name for p in (archive / "pool").iterdir()))
            line = f"deb [signed-by={key}] file://{archive} {suite} {comps}\n"
            self._write("etc/apt/sources.list", line)
            return
        sections = [
            f"[{repo.name}]\nname={repo.name}\nbaseurl=file://{repo}\nenabled=1\n"
            f"gpgcheck=1\ngpgkey=file://{archive}/archive-key.asc\n"
            for repo in sorted(p for p in archive.iterdir() if p.is_dir())
        ]
        self._write(f"etc/yum.repos.d/oracle-linux-ol{self.releasever}.repo", "\n".join(sections))

    def add_dnf_repo(self, repo_id: str, path: Path, key: Path) -> None:
        """One more dnf repository the image configures (a site's own), checked with `key`."""
        text = f"[{repo_id}]\nname={repo_id}\nbaseurl=file://{path}\nenabled=1\ngpgcheck=1\n"
        self._write(f"etc/yum.repos.d/{repo_id}.repo", text + f"gpgkey=file://{key}\n")

    def env(self) -> dict[str, str]:
        return {
            "PATH": str(self.bin),
            "GF_ROOT": str(self.root),
            "GF_IMDS": str(self.imds),
            "GF_OCA_WAIT_S": "0",
            "GF_EUID": "0",
            "FAKE_STATE": str(self.state),
            "FAKE_GPUS": str(self.shape.gpu_count),
            "PM_STATE": str(self.state),
            "PM_RELEASEVER": self.releasever,
            "HOME": str(self.root),
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The rendered script, whole, with `args` (e.g. --only nvidia_driver)."""
        return subprocess.run(
            ["/bin/bash", str(self.script), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=240,
        )

    def pm(self, *cmd: str) -> subprocess.CompletedProcess[str]:
        """A package-manager command run like the script runs it (through the root wrappers)."""
        return subprocess.run(
            [str(self.bin / cmd[0]), *cmd[1:]],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=240,
        )

    def architecture(self, name: str) -> str:
        """The architecture of installed package `name` in the root (apt roots)."""
        return self.pm("dpkg-query", "-W", "-f", "${Architecture}", name).stdout

    def installed(self, name: str) -> str | None:
        """The installed version of `name` in the root ([epoch:]version-release), or None."""
        if self.family == "apt":
            out = self.pm("dpkg-query", "-W", "-f", "${Status}|${Version}", name)
            status, _, version = out.stdout.partition("|")
            return version if out.returncode == 0 and status == "install ok installed" else None
        fmt = "%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}"
        out = self.pm("rpm", "-q", "--qf", fmt, name)
        return out.stdout if out.returncode == 0 else None

    def pm_calls(self) -> list[str]:
        """Every package-manager command the script ran so far (wrapper log)."""
        log = self.state / "pm-calls.log"
        return log.read_text().splitlines() if log.exists() else []

    def load_driver(self, version: str) -> None:
        """What the kernel runs: the fake nvidia-smi reports this driver version."""
        (self.state / "driver_loaded").write_text(version + "\n")

    @staticmethod
    def statuses(proc: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
        return {s["step"]: s for s in map(json.loads, proc.stdout.splitlines())}
