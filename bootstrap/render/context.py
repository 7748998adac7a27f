"""Compute everything a pool's bootstrap needs, from the shape catalog and the stack config.

The templates only lay this data out; every decision (HCA list, NCCL values, per-NIC sysctls,
package names and pins per OS, which steps apply to this pool) is taken here, once per pool.
Node-specific values (shape actually booted, RDMA addresses, file-system address) are read on
the node from instance metadata, never rendered in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from bootstrap.nodecheck.zipapp import checker_pyz
from bootstrap.render import oslayer
from bootstrap.render.errors import RenderError
from bootstrap.render.jinja import render_text
from infra.config import Pool, StackConfig
from infra.shapes import CATALOG, HPCX_NET_PLUGIN, Shape

# Step order = run order (issue 3). `preflight` only observes.
STEPS: tuple[str, ...] = (
    "preflight",
    "os_tuning",
    "local_nvme",
    "nvidia_driver",
    "gpu_power",
    "rdma",
    "nccl",
    "nccl_tests",
    "containers",
    "training_stack",
    "shared_fs",
    "health_timer",
)

IMDS_URL = "http://169.254.169.254/opc/v2"  # IMDS v2; header "Authorization: Bearer Oracle"
# The infra layer writes the File Storage mount target's address into the instance
# configuration metadata under this key; the node reads it from IMDS (per cluster, not rendered).
FSS_METADATA_KEY = "gpufleet_fss_host"
MIN_FREE_GB = 20  # root file system headroom for driver/toolkit/venv installs
NVME_MOUNT = "/mnt/localdisk"  # HPC@v3 localdisk role nvme_path
# HPC@v3 localdisk: "defaults,nofail,noatime,discard" (nofail: a dead drive never blocks boot)
NVME_FSTAB_OPTS = "defaults,nofail,noatime,discard"
NVME_LABEL = "localdisk"  # xfs labels are at most 12 characters
# HPC@v3 nfs-client options for /home, plus nofail so an unreachable FSS never blocks boot.
NFS_OPTS = (
    "defaults,nofail,noatime,bg,timeo=100,ac,actimeo=120,nocto,rsize=1048576,wsize=1048576,"
    "nolock,local_lock=all,mountproto=tcp,sec=sys,_netdev"
)
NCCL_TESTS_REPO = "https://github.com/NVIDIA/nccl-tests.git"
NCCL_TESTS_DIR = "/opt/nccl-tests"
VENV_DIR = "/opt/gpufleet/venv"
HEALTH_UNIT = "gpufleet-health"
HEALTH_CHECKER = "/usr/local/lib/gpufleet/gpufleet-health.pyz"  # bootstrap.nodecheck zipapp
HEALTH_OUT = "/var/lib/gpufleet/health.json"  # bootstrap.nodecheck.checker.OUT_PATH
GPU_POWER_UNIT = "gpufleet-gpu-power.service"
NVIDIA_SMI = "/usr/bin/nvidia-smi"  # where the driver packages (dnf and apt) install it
# oci-hpc runs its passive checks every 300 s (slurm.conf.j2 HealthCheckInterval=300).
OCA_WAIT_S = 900  # how long the rdma step waits for the OCA RDMA plugins to finish

# Values that reach a shell or a config file must match these, whole (re.fullmatch), on top of
# shell quoting: config validation uses re.match with '$', which lets a trailing newline by.
_SAFE = {
    "name": re.compile(r"[a-z][a-z0-9-]{0,22}[a-z0-9]"),
    "version": re.compile(r"[0-9][0-9A-Za-z.+~-]{0,63}"),
    "tag": re.compile(r"v[0-9]+\.[0-9]+\.[0-9]+"),
    "pip": re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*==[0-9][0-9A-Za-z.+!-]*"),
    "image": re.compile(
        r"[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9][A-Za-z0-9._-]*)?(@sha256:[0-9a-f]{64})?"
    ),
    "path": re.compile(r"/[A-Za-z0-9._/-]*"),
}


def safe(kind: str, key: str, value: str, pool: str) -> str:
    """`value` unchanged if it is a plain `kind`; else a RenderError naming key and value."""
    if not _SAFE[kind].fullmatch(value) or (kind == "path" and ".." in value.split("/")):
        raise RenderError(
            f"pool {pool!r}: {key} = {value!r} is not a plain {kind} (allowed: "
            f"{_SAFE[kind].pattern}); fix: remove quotes, spaces, newlines and shell characters"
        )
    return value


@dataclass
class StepData:
    """One step's rendered inputs; `digest` (sha256 of all of them) is its state stamp."""

    name: str
    action: str  # what apply does, used as "would <action>" in --check
    disabled: str = ""  # non-empty: the step reports skipped with this reason
    params: dict[str, Any] = field(default_factory=dict)
    files: list[dict[str, str]] = field(default_factory=list)
    packages: list[oslayer.Package] = field(default_factory=list)
    units_on: list[str] = field(default_factory=list)
    units_off: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)

    def digest(self) -> str:
        blob = json.dumps(
            {
                "params": self.params,
                "files": self.files,
                "packages": [[p.name, p.version] for p in self.packages],
                "units_on": self.units_on,
                "units_off": self.units_off,
                "modules": self.modules,
                "disabled": self.disabled,
            },
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()


def check_supported(config: StackConfig, pool: Pool) -> Shape:
    """The pool's shape, or a RenderError if the node bootstrap cannot serve it."""
    shape = CATALOG.get(pool.shape)
    if shape is None:
        raise RenderError(
            f"pool {pool.name!r}: unknown shape {pool.shape!r}; known: {', '.join(sorted(CATALOG))}"
        )
    if shape.gpu_vendor != "nvidia":
        raise RenderError(
            f"pool {pool.name!r}: shape {shape.name} ({shape.gpu_vendor.upper()} GPUs) is not "
            "supported by the node bootstrap yet: ROCm/RCCL steps are not implemented; "
            "fix: use an NVIDIA shape for this pool, or bootstrap it with Oracle's ROCm image"
        )
    if pool.os not in shape.supported_os or pool.os not in oslayer.OS_SPECS:
        raise RenderError(
            f"pool {pool.name!r}: OS {pool.os!r} is not supported on {shape.name}; allowed: "
            f"{', '.join(shape.supported_os)}"
        )
    if shape.nvme_count is None or shape.nvme_count == 1:
        raise RenderError(
            f"pool {pool.name!r}: {shape.name} nvme_count={shape.nvme_count}: the local_nvme "
            "step handles 0 or >= 2 data drives (RAID0); fix the shape catalog entry"
        )
    if not shape.rdma_devices:
        raise RenderError(f"pool {pool.name!r}: {shape.name} has no RDMA devices in the catalog")
    return shape


def nccl_env(shape: Shape) -> dict[str, str]:
    """/etc/nccl.conf for the shape (NCCLCONF via the catalog)."""
    if shape.nccl is not None:
        return shape.nccl.env()
    # No Oracle-published NCCL settings (e.g. L40S): pin NCCL to the RDMA ports only (SHAPES).
    return {"NCCL_DEBUG": "WARN", "NCCL_IB_HCA": "=" + ",".join(shape.rdma_devices)}


# In a rendered file, replaced on the node by HPC-X's NCCL plugin path or "none" (the
# bootstrap's gf::nccl::net_plugin): which HPC-X the image ships is known only there.
NET_PLUGIN_PLACEHOLDER = "@GF_NCCL_NET_PLUGIN@"


def nccl_conf_lines(shape: Shape) -> list[tuple[str, str]]:
    value_ok = re.compile(r"[A-Za-z0-9_=,.:/+-]*")
    out = []
    for key, value in nccl_env(shape).items():
        if not re.fullmatch(r"NCCL_[A-Z0-9_]+", key) or not value_ok.fullmatch(value):
            raise RenderError(f"{shape.name}: NCCL setting {key}={value!r} is not plain text")
        out.append((key, value))
    if shape.nccl is not None and shape.nccl.net_plugin == HPCX_NET_PLUGIN:
        out.append(("NCCL_NET_PLUGIN", NET_PLUGIN_PLACEHOLDER))
    return out


def _os_tuning(shape: Shape, osx: oslayer.OsSpec) -> StepData:
    # Kernel limits: oci-hpc-images kernel_limits (/etc/security/limits.d/50-hpc-limits.conf):
    # RDMA registers (pins) all GPU/host buffers -> memlock unlimited; NCCL/MPI open many fds.
    limits = "".join(
        f"* {kind} {item} {value}\n"
        for item, value in (("memlock", "unlimited"), ("nofile", "131072"), ("stack", "unlimited"))
        for kind in ("soft", "hard")
    )
    sysctls: list[tuple[str, str]] = [
        # IMG group_vars gpu_sysctl (99-oci-gpu-tuning.conf): neighbour tables big enough for
        # every peer's RDMA address on large clusters (meshpinger: "Insufficient ARP table size").
        ("net.ipv4.neigh.default.gc_thresh1", "32768"),
        ("net.ipv4.neigh.default.gc_thresh2", "65535"),
        ("net.ipv4.neigh.default.gc_thresh3", "131072"),
    ]
    # HPC@v3 rdma-interface el.yml / samples/gpu/update_arp_settings.sh: per RDMA netdev, so
    # many ports in one subnet answer ARP only for their own address. OCI device naming
    # (oci_hpc.rdma_device_names_mode=2) names the ports rdma0..rdmaN-1.
    for i in range(len(shape.rdma_devices)):
        sysctls += [
            (f"net.ipv4.conf.rdma{i}.rp_filter", "2"),
            (f"net.ipv4.conf.rdma{i}.arp_ignore", "2"),
            (f"net.ipv4.conf.rdma{i}.arp_announce", "1"),
        ]
    sysctl_text = "".join(f"{k} = {v}\n" for k, v in sysctls)
    files = [
        {
            "path": "/etc/security/limits.d/50-gpufleet.conf",
            "mode": "0644",
            "content": "# gpufleet: RDMA pins memory (memlock); NCCL/MPI open many files\n"
            + limits,
        },
        {
            "path": "/etc/sysctl.d/80-gpufleet.conf",
            "mode": "0644",
            "content": "# gpufleet: neighbour tables for large clusters, ARP per RDMA port\n"
            + sysctl_text,
        },
    ]
    if osx.family == "apt":
        # HPC fix_broken role: no unattended upgrades (a kernel/driver upgrade breaks the GPUs).
        files.append(
            {
                "path": "/etc/apt/apt.conf.d/20auto-upgrades",
                "mode": "0644",
                "content": 'APT::Periodic::Update-Package-Lists "0";\n'
                'APT::Periodic::Unattended-Upgrade "0";\n',
            }
        )
    return StepData(
        name="os_tuning",
        action="write limits and sysctls, set the CPU governor to performance, "
        "disable automatic upgrades",
        params={"sysctls": sysctls, "governor": "performance"},
        files=files,
        units_off=list(osx.auto_upgrade_units),
    )


def build_context(config: StackConfig, pool: Pool, *, checker: bool = True) -> dict[str, Any]:
    """Every value the templates of one pool need. Raises RenderError on anything unsupported.

    `checker=False` leaves the node-side health checker out (the first-boot copy in cloud-init,
    which must fit OCI's metadata cap): its health_timer step installs the timer and reports the
    checker missing until `gpufleet bootstrap` pushes the full script.

    >>> ctx = build_context(config, config.pools[0])          # doctest: +SKIP
    >>> ctx["rdma_devices"][:2], ctx["rdma_mtu"]              # doctest: +SKIP
    (['mlx5_0', 'mlx5_1'], 4220)
    """
    shape = check_supported(config, pool)
    osx = oslayer.OS_SPECS[pool.os]
    sw = config.software
    name = safe("name", "pools[].name", pool.name, pool.name)
    cluster = safe("name", "cluster_name", config.cluster_name, pool.name)
    driver = safe("version", "software.driver", sw.driver, name)
    cuda = safe("version", "software.cuda", sw.cuda, name)
    nccl = safe("version", "software.nccl", sw.nccl, name)
    tests_tag = safe("tag", "software.nccl_tests", sw.nccl_tests, name)
    torch = safe("version", "software.training.torch", sw.training.torch, name)
    pip_pkgs = [safe("pip", "software.training.packages[]", p, name) for p in sw.training.packages]
    image = sw.training.image
    if image is not None:
        image = safe("image", "software.training.image", image, name)
    cuda_major = cuda.split(".")[0]
    cuda_mm = "".join(cuda.split(".")[:2])
    # NVSwitch boards need fabric manager; GB200 NVL72 racks use IMEX instead (IMG: the
    # fabricmanager set is the non-arm64 branch), which this bootstrap does not configure yet.
    fabric_manager = shape.nvswitch and not shape.needs_gpu_memory_cluster

    containers_on = sw.training.kind == "container"
    fs = config.storage.file_system
    conf_lines = nccl_conf_lines(shape)
    nccl_conf = (
        f"# /etc/nccl.conf for {shape.name} (gpufleet; values: shape catalog infra/shapes.py)\n"
        + "".join(f"{k}={v}\n" for k, v in conf_lines)
    )

    steps = [
        StepData(
            name="preflight",
            action="stop: this node is not one this script was rendered for",
            params={"shape": shape.name, "os": pool.os, "min_free_gb": MIN_FREE_GB},
        ),
        _os_tuning(shape, osx),
        StepData(
            name="local_nvme",
            action=f"assemble {shape.nvme_count} NVMe data drives as RAID0 (xfs) on {NVME_MOUNT}",
            params={"count": shape.nvme_count, "mount": NVME_MOUNT, "opts": NVME_FSTAB_OPTS},
        ),
        StepData(
            name="nvidia_driver",
            action=f"install NVIDIA driver {driver}"
            + (", fabric manager" if fabric_manager else "")
            + ", DCGM; load nvidia_peermem",
            params={"driver": driver},
            packages=oslayer.driver_packages(osx.family, driver, cuda_major, fabric_manager),
            files=[
                {
                    "path": "/etc/modules-load.d/gpufleet-nvidia-peermem.conf",
                    "mode": "0644",
                    "content": "# GPUDirect RDMA (HPC@v3 nvidia_peermem role)\nnvidia_peermem\n",
                }
            ],
            units_on=["nvidia-persistenced"]
            + (["nvidia-fabricmanager"] if fabric_manager else [])
            + ["nvidia-dcgm"],
            modules=["nvidia_peermem"],
        ),
        _gpu_power(name, pool.gpu_power_cap_w),
        StepData(
            name="rdma",
            action=(
                f"set MTU {shape.rdma_mtu} on the RDMA ports and wait"
                if shape.rdma_mtu is not None
                else "wait"  # no published MTU for the shape: the OCA plugin's stands
            )
            + " for the OCA RDMA plugins (addresses, 802.1X)",
            params={"devices": list(shape.rdma_devices), "mtu": shape.rdma_mtu},
        ),
        StepData(
            name="nccl",
            action=f"install NCCL {nccl} and write /etc/nccl.conf",
            packages=oslayer.nccl_packages(osx.family, nccl, cuda),
            files=[{"path": "/etc/nccl.conf", "mode": "0644", "content": nccl_conf}],
        ),
        StepData(
            name="nccl_tests",
            action=f"build nccl-tests {tests_tag} with MPI into {NCCL_TESTS_DIR}",
            params={
                "tag": tests_tag,
                "repo": NCCL_TESTS_REPO,
                "cuda": cuda,
                "mpi_home": oslayer.mpi_home_for(osx, shape.cpu_arch),
            },
            packages=[oslayer.Package(p) for p in osx.build_packages]
            + [oslayer.cuda_toolkit_package(cuda)],
        ),
        StepData(
            name="containers",
            action=f"install {osx.container_engine} and NVIDIA container toolkit "
            f"{oslayer.CONTAINER_TOOLKIT_VERSION}",
            disabled="" if containers_on else "not enabled (software.training.kind is venv)",
            params={"engine": osx.container_engine},
            packages=[oslayer.Package(p) for p in osx.container_packages]
            + [oslayer.Package("nvidia-container-toolkit", oslayer.CONTAINER_TOOLKIT_VERSION)],
            units_on=["docker"] if osx.container_engine == "docker" else [],
        ),
        StepData(
            name="training_stack",
            action=(
                f"pull {image}"
                if containers_on
                else f"create {VENV_DIR} with torch {torch} (cu{cuda_mm})"
                + (f" and {len(pip_pkgs)} package(s)" if pip_pkgs else "")
            ),
            params={
                "kind": sw.training.kind,
                "torch": torch,
                "packages": pip_pkgs,
                "image": image or "",
                "python": osx.python,
                "index_url": f"https://download.pytorch.org/whl/cu{cuda_mm}",
            },
            packages=[] if containers_on else [oslayer.Package(p) for p in osx.venv_packages],
        ),
        StepData(
            name="shared_fs",
            action=f"mount the File Storage export {fs.export_path} on {fs.mount_path}"
            if fs
            else "nothing",
            disabled="" if fs else "not enabled (storage.file_system is not set)",
            params={
                "export": safe("path", "storage.file_system.export_path", fs.export_path, name)
                if fs
                else "",
                "mount": safe("path", "storage.file_system.mount_path", fs.mount_path, name)
                if fs
                else "",
                "opts": NFS_OPTS,
            },
            packages=[oslayer.Package(p) for p in osx.nfs_packages] if fs else [],
        ),
    ]
    steps.append(
        _health_step(config, name, shape, osx, checker=checker, cap_w=pool.gpu_power_cap_w)
    )
    assert tuple(s.name for s in steps) == STEPS
    return _flatten(cluster, name, shape, osx, steps, nccl_conf)


def _gpu_power(pool: str, cap_w: int | None) -> StepData:
    """Cap every GPU at the pool's ``gpu_power_cap_w`` now (``nvidia-smi -pl``) and at every boot
    (a oneshot unit: the limit lives in the driver and a reboot resets it to the board default).

    A step of its own rather than part of nvidia_driver: it reports "skipped" when the pool sets
    no cap, `--only gpu_power` re-applies a cap after a config change without re-checking the
    driver packages, and changing the cap changes only this step's stamp.
    """
    if cap_w is None:
        return StepData(
            name="gpu_power",
            action="nothing",
            disabled="no GPU power cap (pools[].gpu_power_cap_w is not set)",
        )
    data = {"pool": pool, "cap_w": cap_w, "nvidia_smi": NVIDIA_SMI}
    return StepData(
        name="gpu_power",
        action=f"cap every GPU at {cap_w} W (nvidia-smi -pl) and enable {GPU_POWER_UNIT} to "
        "re-apply it at boot",
        params={"cap_w": cap_w},
        files=[
            {
                "path": f"/etc/systemd/system/{GPU_POWER_UNIT}",
                "mode": "0644",
                "content": render_text("gpu_power/unit.service.j2", **data),
            }
        ],
        units_on=[GPU_POWER_UNIT],
    )


def health_interval(config: StackConfig) -> int:
    """Minutes between two runs of the node's health check (software.health_interval_minutes,
    validated 1..1440 by the stack config; default 5 = oci-hpc's HealthCheckInterval=300)."""
    return config.software.health_interval_minutes


def _health_step(
    config: StackConfig,
    pool: str,
    shape: Shape,
    osx: oslayer.OsSpec,
    *,
    checker: bool,
    cap_w: int | None,
) -> StepData:
    """The health checker zipapp (same facts, checks and gate as `gpufleet health`), the wrapper
    that runs it, and the systemd timer that runs the wrapper every `health_interval` minutes.
    The pool's expectations beyond the shape (its GPU power cap) become checker arguments."""
    interval = health_interval(config)
    pyz = checker_pyz() if checker else b""
    data = {
        "checker_args": ["--gpu-power-cap-w", str(cap_w)] if cap_w is not None else [],
        "pool": pool,
        "shape": shape.name,
        "unit": HEALTH_UNIT,
        "interval_min": interval,
        "python": osx.checker_python,
        "checker": HEALTH_CHECKER,
        "out": HEALTH_OUT,
    }
    files = [
        {
            "path": "/usr/local/sbin/gpufleet-health",
            "mode": "0755",
            "content": render_text("health/check.sh.j2", **data),
        },
        {
            "path": f"/etc/systemd/system/{HEALTH_UNIT}.service",
            "mode": "0644",
            "content": render_text("health/unit.service.j2", **data),
        },
        {
            "path": f"/etc/systemd/system/{HEALTH_UNIT}.timer",
            "mode": "0644",
            "content": render_text("health/unit.timer.j2", **data),
        },
    ]
    sha = hashlib.sha256(pyz).hexdigest() if checker else ""
    return StepData(
        name="health_timer",
        action=f"install the health checker and start {HEALTH_UNIT}.timer (every {interval} min)",
        params={"interval_min": interval, "checker": HEALTH_CHECKER, "checker_sha256": sha},
        files=files,
        packages=[oslayer.Package(p) for p in osx.checker_packages],
        units_on=[f"{HEALTH_UNIT}.timer"],
    )


def _flatten(
    cluster: str,
    pool: str,
    shape: Shape,
    osx: oslayer.OsSpec,
    steps: list[StepData],
    nccl_conf: str,
) -> dict[str, Any]:
    """Step data -> the flat lists the bash template lays out as arrays."""
    by = {s.name: s for s in steps}
    checker_sha = by["health_timer"].params["checker_sha256"]
    return {
        "cluster": cluster,
        "pool": pool,
        "shape": shape.name,
        "gpu_count": shape.gpu_count,
        "os": osx.name,
        "os_id": osx.os_id,
        "os_version": osx.version,
        "pkg_family": osx.family,
        "imds_url": IMDS_URL,
        "fss_metadata_key": FSS_METADATA_KEY,
        "min_free_kb": MIN_FREE_GB * 1024 * 1024,
        "oca_wait_s": OCA_WAIT_S,
        "steps": [
            {"name": s.name, "digest": s.digest(), "action": s.action, "disabled": s.disabled}
            for s in steps
        ],
        "files": [f | {"step": s.name} for s in steps for f in s.files],
        "packages": [
            {"step": s.name, "name": p.name, "version": p.version or "", "spec": p.spec(osx.family)}
            for s in steps
            for p in s.packages
        ],
        "units_on": [{"step": s.name, "unit": u} for s in steps for u in s.units_on],
        "units_off": [{"step": s.name, "unit": u} for s in steps for u in s.units_off],
        "modules": [{"step": s.name, "module": m} for s in steps for m in s.modules],
        "sysctls": by["os_tuning"].params["sysctls"],
        "rdma_devices": list(shape.rdma_devices),
        "rdma_mtu": "" if shape.rdma_mtu is None else shape.rdma_mtu,  # "": not enforced
        "nvme_count": shape.nvme_count,
        "nvme_mount": NVME_MOUNT,
        "nvme_label": NVME_LABEL,
        "nvme_opts": NVME_FSTAB_OPTS,
        "driver": by["nvidia_driver"].params["driver"],
        "gpu_power_cap_w": by["gpu_power"].params.get("cap_w", ""),
        "nccl_tests": by["nccl_tests"].params | {"dir": NCCL_TESTS_DIR},
        "training": by["training_stack"].params | {"venv": VENV_DIR},
        "container_engine": osx.container_engine,
        "shared_fs": by["shared_fs"].params,
        "nccl_conf": nccl_conf,
        "health": by["health_timer"].params
        | {"checker_b64": base64.b64encode(checker_pyz()).decode() if checker_sha else ""},
    }
