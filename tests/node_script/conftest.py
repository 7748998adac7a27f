"""A sandboxed node: a root dir (GF_ROOT), an IMDS directory, fakes first on PATH.

`make_node(config)` renders the config's first pool, builds a sandbox that looks like a fresh
node of that shape/OS (nothing configured yet, RDMA plugins done), and runs the real script with
bash. Nothing here reaches the network or runs a real package manager.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bootstrap.render import render_pool
from bootstrap.render.script import build_context, step_of
from infra.config import StackConfig
from infra.shapes import CATALOG, Shape
from tests.node_script import fakes

OS_RELEASE = {
    "oracle-linux-8": 'NAME="Oracle Linux Server"\nID="ol"\nVERSION_ID="8.10"\n',
    "oracle-linux-9": 'NAME="Oracle Linux Server"\nID="ol"\nVERSION_ID="9.5"\n',
    "ubuntu-22.04": 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\n',
    "ubuntu-24.04": 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="24.04"\n',
}


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str

    @property
    def statuses(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines()]

    def by_step(self) -> dict[str, dict[str, Any]]:
        return {s["step"]: s for s in self.statuses}

    def status_of(self) -> dict[str, str]:
        return {s["step"]: s["status"] for s in self.statuses}


def lay_out_fresh_node(root: Path, state: Path, imds: Path, shape: Shape, os_name: str) -> None:
    """What a fresh node of `shape` / `os_name` looks like to the script and the fakes: its
    os-release, /proc and /sys (NVMe, RDMA links done by the image's plugin, up and
    authenticated), and its IMDS answers. Nothing configured yet, no package installed."""

    def write(rel: str, text: str, base: Path = root) -> None:
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    state.mkdir()
    write("etc/os-release", OS_RELEASE[os_name])
    write("proc/sys/kernel/random/boot_id", "6c1e5f0a-0000-4000-8000-000000000001\n")
    write("etc/fstab", "UUID=0a1b / xfs defaults 0 0\n")
    write("proc/mounts", "/dev/sda3 / xfs rw,relatime 0 0\n")
    write("proc/mdstat", "Personalities :\nunused devices: <none>\n")
    for key in ("gc_thresh1", "gc_thresh2", "gc_thresh3"):
        write(f"proc/sys/net/ipv4/neigh/default/{key}", "1024\n")
    for cpu in (0, 1):
        write(f"sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_governor", "schedutil\n")
    for i in range(shape.nvme_count or 0):
        (root / f"sys/block/nvme{i}n1").mkdir(parents=True)
    # A partitioned NVMe namespace (like a boot disk) that must never join the RAID.
    (root / "sys/block/nvme99n1/nvme99n1p1").mkdir(parents=True)
    for i, dev in enumerate(shape.rdma_devices):
        nd = f"rdma{i}"
        (root / f"sys/class/infiniband/{dev}/device/net/{nd}").mkdir(parents=True)
        write(f"sys/class/net/{nd}/mtu", "1500\n")
        for key in ("rp_filter", "arp_ignore", "arp_announce"):
            write(f"proc/sys/net/ipv4/conf/{nd}/{key}", "0\n")
        write(f"ip/{nd}", f"10.224.{i}.7", base=state)
        write(f"auth/{nd}", "", base=state)
    write("var/run/oci-hpc/oci-hpc-rdma-configure.json", '{"state": "COMPLETED"}\n')
    write("ofed", "", base=state)
    write("instance/shape", shape.name, base=imds)
    write("instance/metadata/gpufleet_fss_host", "10.0.3.20", base=imds)


class Node:
    def __init__(self, tmp: Path, config: StackConfig) -> None:
        self.config = config
        self.pool = config.pools[0]
        self.shape = CATALOG[self.pool.shape]
        self.ctx = build_context(config, self.pool)
        self.files = render_pool(config, self.pool)
        self.script = tmp / "bootstrap.sh"
        self.script.write_text(self.files["bootstrap.sh"])
        self.root = tmp / "root"
        self.state = tmp / "fake-state"
        self.imds = tmp / "imds"
        self.bin = tmp / "bin"
        fakes.install(self.bin)
        self._build()

    # --- sandbox layout -------------------------------------------------------------------
    def write(self, rel: str, text: str, base: Path | None = None) -> Path:
        path = (base or self.root) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def _build(self) -> None:
        lay_out_fresh_node(self.root, self.state, self.imds, self.shape, self.pool.os)
        self._write_repo()
        # The image carries NVIDIA's CUDA repository, as OCI's GPU images do (the nvidia_repo
        # step's own configuring is tested with real apt and dnf in tests/packages).
        repo = step_of(self.ctx, "nvidia_repo")["vars"]
        self.write(repo["source_file"].lstrip("/"), f"# image\nbaseurl={repo['url']}\n")

    def _write_repo(self) -> None:
        """The fake repos: every package spec the script may ask for, with what it installs."""
        lines = []
        for p in self.ctx["packages"]:
            installed = p["version"] or "1.0-1"  # pinned versions are exact repository versions
            flag = " driver" if p["name"].startswith("nvidia-driver") else ""
            lines.append(f"{p['spec']} {p['name']} {installed}{flag}")
        self.write("repo", "\n".join(lines) + "\n", base=self.state)

    # --- running --------------------------------------------------------------------------
    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "PATH": str(self.bin),
            "GF_ROOT": str(self.root),
            "GF_IMDS": str(self.imds),
            "GF_EUID": "0",
            "GF_OCA_WAIT_S": "0",
            "FAKE_STATE": str(self.state),
            "FAKE_GPUS": str(self.shape.gpu_count),
            "HOME": str(self.root),
        }
        env.update(extra)
        return {k: v for k, v in env.items() if v is not None}

    def run(self, *args: str, script: Path | None = None, **env: str) -> Result:
        proc = subprocess.run(
            ["/bin/bash", str(script or self.script), *args],
            env=self.env(**env),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=60,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def calls(self) -> list[str]:
        log = self.state / "calls.log"
        return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def make_node(tmp_path: Path):
    counter = iter(range(1000))

    def make(config: StackConfig) -> Node:
        folder = tmp_path / f"node{next(counter)}"
        folder.mkdir()
        return Node(folder, config)

    return make


@pytest.fixture(scope="session")
def done_h100(tmp_path_factory):
    """An H100/Ubuntu sandbox after one full successful run (copy it before breaking it)."""
    from tests.render.configs import config_with, pool

    node = Node(tmp_path_factory.mktemp("done"), config_with(pool("BM.GPU.H100.8", "ubuntu-22.04")))
    result = node.run()
    assert result.rc == 0, result.stderr[-2000:]
    return node


@pytest.fixture
def done_copy(done_h100, tmp_path):
    """A private copy of the done sandbox (same paths layout, rebased)."""
    import shutil

    base = done_h100.script.parent
    dest = tmp_path / "copy"
    shutil.copytree(base, dest, symlinks=True)
    node = Node.__new__(Node)
    node.__dict__.update(done_h100.__dict__)
    for attr in ("script", "root", "state", "imds", "bin"):
        setattr(node, attr, dest / getattr(done_h100, attr).relative_to(base))
    # Sandbox files that name the old root (mount points in /proc/mounts are root-relative).
    return node
