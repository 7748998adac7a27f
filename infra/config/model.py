"""The typed stack config (pydantic): field-level rules, each error carrying its fix.

Cross-field rules (duplicate names, overlapping CIDRs, OS per shape, ...) live in `rules.py`
and run on the raw mapping too, so one pass reports every problem.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from ipaddress import IPv4Network
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from infra.config import subnets
from infra.shapes import CATALOG, OsName, Shape

Mode = Literal["cluster_network", "compute_cluster"]


def bad(message: str, fix: str) -> PydanticCustomError:
    """A validation error whose message names what is allowed and whose ctx carries the fix."""
    # The message travels in the context, so braces in it are never read as a template.
    return PydanticCustomError("gpufleet", "{message}", {"message": message, "fix": fix})


# --- reusable field checks ---------------------------------------------------------------------

# OCI display names and hostnames: a DNS label (RFC 1123) kept short, so "<pool>-<index>"
# hostnames and "<cluster>-<pool>-<role>" display names stay well under 63 characters.
_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$")


def _safe_name(value: str) -> str:
    if not _NAME_RE.fullmatch(value):
        raise bad(
            "not safe as an OCI display name and hostname; allowed: 2-24 characters,"
            " lowercase letters, digits and '-', starting with a letter and not ending with '-'",
            "rename it, e.g. 'h100-train'",
        ) from None
    return value


# OCID format: ocid1.<resource type>.<realm>.[region][.future use].<unique id>
# (docs.oracle.com/iaas/Content/General/Concepts/identifiers.htm)
_OCID_RE = re.compile(r"^ocid1\.([a-z0-9]+)\.(oc[0-9]+)\.([a-z0-9-]*)(\.[a-z0-9-]+)?\.([a-z0-9]+)$")


def ocid(*types: str) -> AfterValidator:
    kinds = " or ".join(f"ocid1.{t}.<realm>..." for t in types)

    def check(value: str) -> str:
        m = _OCID_RE.fullmatch(value)
        if not m or m.group(1) not in types or len(m.group(5)) < 8:
            raise bad(
                f"not a well-formed {kinds} OCID",
                "copy the OCID from the OCI console (it looks like "
                f"ocid1.{types[0]}.oc1..aaaaaaaa...)",
            )
        return value

    return AfterValidator(check)


_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
)


def _ssh_public_key(value: str) -> str:
    fix = "paste one line of ~/.ssh/id_ed25519.pub (ssh-keygen -t ed25519 makes one)"
    parts = value.strip().split()
    if len(parts) < 2 or parts[0] not in _KEY_TYPES or "\n" in value.strip():
        raise bad("not an OpenSSH public key line; allowed types: " + ", ".join(_KEY_TYPES), fix)
    try:
        blob = base64.b64decode(parts[1], validate=True)
        (n,) = struct.unpack(">I", blob[:4])
        embedded = blob[4 : 4 + n].decode()
    except (binascii.Error, struct.error, UnicodeDecodeError):
        raise bad(f"the body of this {parts[0]} key is not valid base64 key data", fix) from None
    if embedded != parts[0]:
        raise bad(f"the key says {parts[0]!r} but its body holds a {embedded!r} key", fix)
    return value.strip()


def _cidr(value: str) -> str:
    if subnets.parse_cidr(value) is None:
        raise bad(
            "not an IPv4 CIDR block with zero host bits (like 10.0.0.0/16)",
            "write network/prefix, e.g. 203.0.113.0/24 for a range or 198.51.100.7/32 for one "
            "address",
        )
    return value


def version(example: str, pattern: str) -> AfterValidator:
    rx = re.compile(pattern)

    def check(value: str) -> str:
        if not rx.fullmatch(value):
            raise bad(
                f"not a pinned version; allowed: an exact version like {example!r}"
                " (no 'latest', ranges or wildcards)",
                f"pin the exact version you tested, e.g. {example!r}",
            )
        return value

    return AfterValidator(check)


_AD_NAME_RE = re.compile(r"^[A-Za-z0-9]{4}:[A-Z0-9-]+-AD-[1-3]$")


def _availability_domain(value: int | str) -> int | str:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and 1 <= value <= 3:
        return value
    if isinstance(value, str) and _AD_NAME_RE.fullmatch(value):
        return value
    raise bad(
        "not an availability domain; allowed: its 1-based index in the region (1, 2 or 3)"
        " or its full name like 'Uocm:US-ASHBURN-AD-1'",
        "run `oci iam availability-domain list` and use the index or the name",
    )


def _known_shape(value: str) -> str:
    if value not in CATALOG:
        raise bad(
            f"not a known GPU shape; known: {', '.join(sorted(CATALOG))}",
            "use one of the known shapes (names are case-sensitive)",
        )
    return value


def _pip_pin(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*==[0-9][0-9A-Za-z.+!-]*", value):
        raise bad(
            "not a pinned package; allowed: 'name==version'",
            "pin it, e.g. 'transformers==4.46.3'",
        )
    return value


def _image_ref(value: str) -> str:
    # A container image pinned by a tag that is not "latest", or by a digest.
    m = re.fullmatch(
        r"^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9][A-Za-z0-9._-]*)?(@sha256:[0-9a-f]{64})?$", value
    )
    tagged = m and (m.group(2) or (m.group(1) and m.group(1) != ":latest"))
    if not tagged:
        raise bad(
            "not a pinned container image; allowed: registry/name:tag (not :latest)"
            " or registry/name@sha256:<digest>",
            "pin it, e.g. 'nvcr.io/nvidia/pytorch:24.12-py3'",
        )
    return value


def _zero_is_no_budget(value: object) -> object:
    return None if value in (0, "0") and not isinstance(value, bool) else value


SafeName = Annotated[str, AfterValidator(_safe_name)]
Cidr = Annotated[str, AfterValidator(_cidr)]
ImageOcid = Annotated[str, ocid("image")]
_DRIVER_RE = re.compile(r"\d{3}\.\d{1,3}(\.\d{1,3})?")
# The word that keeps whatever driver the node's image ships (checked on the node against
# software.cuda's minimum driver, policy/compat.py).
IMAGE_DRIVER = "image"


def _driver(value: str) -> str:
    if value == IMAGE_DRIVER or _DRIVER_RE.fullmatch(value):
        return value
    raise bad(
        "not a pinned driver version; allowed: an exact version like '570.172.08' (no "
        f"'latest', ranges or wildcards), or {IMAGE_DRIVER!r} to keep the image's own driver",
        "pin the exact version you tested, e.g. '570.172.08', or write 'image' when the image "
        "ships the driver you want",
    )


DriverVersion = Annotated[str, AfterValidator(_driver)]
CudaVersion = Annotated[str, version("12.8", r"^\d{2}\.\d(\.\d+)?$")]
NcclVersion = Annotated[str, version("2.26.2-1", r"^2\.\d+\.\d+(-\d+)?$")]
GitTag = Annotated[str, version("v2.17.2", r"^v\d+\.\d+\.\d+$")]
TorchVersion = Annotated[str, version("2.7.1", r"^\d+\.\d+\.\d+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


# --- sections ----------------------------------------------------------------------------------


class Pool(_Strict):
    """One logical GPU pool: identical bare-metal nodes on one RDMA fabric."""

    name: SafeName
    shape: Annotated[str, AfterValidator(_known_shape)]
    nodes: Annotated[int, Field(ge=1)]
    image_id: ImageOcid
    os: OsName
    mode: Mode = "cluster_network"
    # oci-hpc ORM schema.yaml: boot volume default 256 GB, minimum 50 GB.
    boot_volume_gb: Annotated[int, Field(ge=50, le=32768)] = 256
    # GB200 NVL72 racks: one GPU memory fabric per 18-node rack (docs.oracle.com
    # .../Compute/Concepts/gpu-memory-fabric.htm "up to 18 Compute hosts each").
    gpu_memory_fabric_ids: tuple[Annotated[str, ocid("computegpumemoryfabric")], ...] = ()
    # Extra nodes launched beyond `nodes`; the health gate keeps the best `nodes` in hostfiles
    # and holds the rest as spares ready to swap in.
    spares: Annotated[int, Field(ge=0)] = 0
    # Split the pool into cluster networks of at most this many nodes. OCI publishes no maximum
    # per cluster network (capacity is bounded by HPC islands / network blocks, oci-hpc v2
    # README), so there is no default: set it to the block size your capacity came in.
    max_nodes_per_cluster_network: Annotated[int, Field(ge=1)] | None = None
    # Optional placement of every chunk inside one HPC island / network blocks
    # (ClusterNetwork cluster_configuration, docs.oracle.com ClusterConfigurationDetails).
    hpc_island_id: Annotated[str, ocid("computehpcisland")] | None = None
    network_block_ids: tuple[Annotated[str, ocid("computenetworkblock")], ...] = ()
    # Per-GPU power cap applied with `nvidia-smi -pl` on every node and checked by health.
    gpu_power_cap_w: Annotated[int, Field(ge=100)] | None = None
    # Node -> replacement generation. Bump a node's number to replace it on the next `up`:
    # cluster_network pools key by instance OCID (detach + terminate, the pool relaunches to
    # keep its size), compute_cluster pools by node name ("<pool>-0007", recreated).
    replace_nodes: dict[str, Annotated[int, Field(ge=1)]] = {}

    @property
    def spec(self) -> Shape:
        return CATALOG[self.shape]

    @property
    def launched(self) -> int:
        """Nodes actually launched: the requested ones plus spares."""
        return self.nodes + self.spares

    @property
    def gpus(self) -> int:
        return self.launched * self.spec.gpu_count

    @property
    def node_kw(self) -> float | None:
        """Maximum power of one node, lowered by the GPU power cap where one is set."""
        spec = self.spec
        if spec.node_max_kw is None:
            return None
        if self.gpu_power_cap_w is None or spec.gpu_tdp_w is None:
            return spec.node_max_kw
        saved_w = spec.gpu_count * max(spec.gpu_tdp_w - self.gpu_power_cap_w, 0)
        return round(spec.node_max_kw - saved_w / 1000, 4)


class Subnets(_Strict):
    bastion: Cidr | None = None
    nodes: Cidr | None = None
    storage: Cidr | None = None


class Bastion(_Strict):
    image_id: ImageOcid
    # A small flex VM is plenty for an SSH jump host (oci-hpc defaults its controller to
    # VM.Standard.E5.Flex, schema.yaml).
    shape: str = "VM.Standard.E5.Flex"
    ocpus: Annotated[int, Field(ge=1, le=64)] = 1
    memory_gb: Annotated[int, Field(ge=1, le=1024)] = 8
    user: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_-]{0,31}$")] = "opc"  # the image's user


# Mounting the shared file system over one of these hides what the node boots and logs in with
# (binaries, libraries, /etc, the login user's ~/.ssh, the package database): the node would
# break or lock everyone out. Refused as the mount point and (first group) anywhere below it.
# (oci-hpc can put /home on File Storage, but it moves the homes there first; we do not.)
_SYSTEM_TREES: tuple[str, ...] = ("/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32")
_SYSTEM_TREES += ("/lib64", "/proc", "/root", "/run", "/sbin", "/snap", "/sys", "/usr", "/var/lib")
_SYSTEM_TREES += ("/var/log",)
_SYSTEM_DIRS = ("/", "/media", "/mnt", "/opt", "/srv", "/tmp", "/var")


def _absolute_path(value: str) -> str:
    odd = any(part in ("", ".", "..") for part in value.split("/")[1:])
    if not value.startswith("/") or (odd and value != "/"):
        raise bad(
            "not a plain absolute path; allowed: '/' then names of letters, digits, '.', '_'"
            " and '-', without '.', '..', '//' or a trailing '/'",
            "write it out, e.g. '/mnt/shared'",
        )
    return value


def _mount_point(value: str) -> str:
    under = [t for t in _SYSTEM_TREES if value == t or value.startswith(t + "/")]
    if under or value in _SYSTEM_DIRS:
        raise bad(
            f"mounting here would hide the node's own {under[0] if under else value}; "
            "system folders and their parents are not allowed",
            "mount it on a folder of its own, e.g. '/mnt/shared' or '/nfs/cluster'",
        )
    return value


FsPath = Annotated[str, Field(pattern=r"^/[A-Za-z0-9._/-]*$"), AfterValidator(_absolute_path)]


class FileSystem(_Strict):
    export_path: FsPath = "/shared"
    mount_path: Annotated[FsPath, AfterValidator(_mount_point)] = "/mnt/shared"


class Bucket(_Strict):
    # Object Storage bucket names: letters, digits, '-', '_' and '.', up to 256 characters.
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,256}$")]


class Storage(_Strict):
    file_system: FileSystem | None = None
    bucket: Bucket | None = None


class Training(_Strict):
    kind: Literal["venv", "container"] = "venv"
    torch: TorchVersion = "2.7.1"  # first releases with CUDA 12.8 (cu128) wheels: 2.7.x
    packages: tuple[Annotated[str, AfterValidator(_pip_pin)], ...] = ()
    image: Annotated[str, AfterValidator(_image_ref)] | None = None


class Software(_Strict):
    # Defaults: the driver the recorded H200 node runs (fixture nvidia_smi_..._driver570.txt),
    # its CUDA (Oracle's GPU_OL8_NV570 image = 570 / CUDA 12.8, oci-hpc variables.tf), an NCCL
    # built for CUDA 12.8 (libnccl2 2.26.2-1+cuda12.8, NVIDIA CUDA apt repository; see
    # policy/compat.py) and the nccl-tests tag Oracle's images build
    # (oci-hpc-images hpc_benchmarks: v2.17.2).
    driver: DriverVersion = "570.172.08"
    cuda: CudaVersion = "12.8"
    nccl: NcclVersion = "2.26.2-1"
    nccl_tests: GitTag = "v2.17.2"
    # How often each node runs its own health checks (oci-hpc: Slurm HealthCheckInterval=300).
    health_interval_minutes: Annotated[int, Field(ge=1, le=1440)] = 5
    training: Training = Training()


# --- Slurm ------------------------------------------------------------------------------------

# Slurm releases the rendered config is written for: every key used is valid in each of them
# (the suite feeds it to Debian 12's 22.05.8 daemons). Versions must match across controller and
# nodes within Slurm's skew rule (slurmdbd >= slurmctld >= slurmd): one version pinned for all.
SLURM_RELEASES = ("22.05", "23.11", "24.05")


def _slurm_version(value: str) -> str:
    if (
        not re.fullmatch(r"\d{2}\.\d{2}\.\d+", value)
        or value.rsplit(".", 1)[0] not in SLURM_RELEASES
    ):
        raise bad(
            "not a pinned Slurm version of a supported release; allowed: "
            f"{', '.join(SLURM_RELEASES)} with its patch level, like '24.05.8'",
            "pin the exact release you install on the controller and every node, e.g. '24.05.8'",
        )
    return value


SlurmVersion = Annotated[str, AfterValidator(_slurm_version)]
# Slurm partition names: kept to what a hostname may hold so they survive every client's parser.
_PARTITION_RE = r"^[a-z][a-z0-9_-]{0,30}$"
# Slurm time limits as slurm.conf takes them: "UNLIMITED", minutes, or [days-]hours:minutes:seconds.
_TIME_RE = r"^(UNLIMITED|\d+|(\d+-)?\d{1,2}:\d{2}:\d{2})$"


class SlurmController(_Strict):
    """The controller VM (and its optional twin): slurmctld, slurmdbd and, by default, MariaDB."""

    # oci-hpc's controller default (schema.yaml: VM.Standard.E5.Flex); 4 OCPUs / 32 GB hold
    # slurmctld for thousands of nodes plus a MariaDB for accounting.
    shape: str = "VM.Standard.E5.Flex"
    ocpus: Annotated[int, Field(ge=1, le=64)] = 4
    memory_gb: Annotated[int, Field(ge=4, le=1024)] = 32
    # The controller's OS image; the bastion's image when unset.
    image_id: ImageOcid | None = None
    boot_volume_gb: Annotated[int, Field(ge=50, le=32768)] = 256
    # A second controller (SlurmctldHost listed twice) that takes over when the first fails.
    backup: bool = False


class SlurmAccounting(_Strict):
    """Where slurmdbd keeps job accounting: MariaDB on the controller, or OCI's MySQL service."""

    database: Literal["mariadb", "oci_mysql"] = "mariadb"
    # OCI MySQL HeatWave shape when database is oci_mysql (docs.oracle.com/iaas/mysql-database
    # /doc/supported-shapes.html: MySQL.2 is the smallest current ECPU shape).
    mysql_shape: str = "MySQL.2"
    mysql_storage_gb: Annotated[int, Field(ge=50, le=131072)] = 50


class SlurmPartition(_Strict):
    name: Annotated[str, Field(pattern=_PARTITION_RE)]
    pools: Annotated[tuple[str, ...], Field(min_length=1)]
    default: bool = False
    max_time: Annotated[str, Field(pattern=_TIME_RE)] = "UNLIMITED"


class Slurm(_Strict):
    """The Slurm scheduler on top of the pools; off unless `enabled`."""

    enabled: bool = False
    version: SlurmVersion = "24.05.8"  # SchedMD NEWS "Changes in Slurm 24.05.8" (security fix)
    controller: SlurmController = SlurmController()
    accounting: SlurmAccounting = SlurmAccounting()
    # Empty: one partition per pool plus "all" (every pool, the default).
    partitions: tuple[SlurmPartition, ...] = ()
    # Ports srun listens on for its tasks; the node NSG opens exactly these plus 6817-6819.
    srun_port_first: Annotated[int, Field(ge=1024, le=65535)] = 60001
    srun_port_last: Annotated[int, Field(ge=1024, le=65535)] = 63000
    # slurmd runs HealthCheckProgram this often (oci-hpc slurm.conf.j2: HealthCheckInterval=300).
    health_check_interval_s: Annotated[int, Field(ge=30, le=86400)] = 300


class StackConfig(_Strict):
    """Everything one stack declares. Build it with `infra.config.load_*`, never by hand."""

    cluster_name: SafeName = "gpufleet"
    compartment_id: Annotated[str, ocid("compartment", "tenancy")]
    availability_domain: Annotated[int | str, AfterValidator(_availability_domain)]
    ssh_public_key: Annotated[str, AfterValidator(_ssh_public_key)]
    admin_cidrs: tuple[Cidr, ...]  # at least one: rules.some_admin_cidr
    allow_ssh_from_anywhere: bool = False
    vcn_cidr: Cidr = "10.0.0.0/16"
    subnets: Subnets = Subnets()
    bastion: Bastion
    pools: tuple[Pool, ...]  # at least one: rules.at_least_one_pool
    storage: Storage = Storage()
    software: Software = Software()
    tags: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,100}$")], str] = {}
    # The cluster's power envelope; plan and review fail when the pools' maximum exceeds it.
    # 0 is "no budget": Pulumi.yaml's default, since a declared key needs one to be optional.
    power_budget_kw: Annotated[
        Annotated[float, Field(gt=0)] | None, BeforeValidator(_zero_is_no_budget)
    ] = None
    # GPU pools and cluster networks carry `protect=True` unless this is set to false.
    protect_pools: bool = True
    slurm: Slurm = Slurm()
    region: str | None = None  # from `oci:region`, informational

    def subnet_plan(self) -> dict[str, IPv4Network]:
        """Role -> CIDR: explicit config wins, the rest is carved from the VCN."""
        vcn = IPv4Network(self.vcn_cidr)
        carved = subnets.carve(vcn) if vcn.prefixlen <= subnets.MIN_CARVE_PREFIX else {}
        plan: dict[str, IPv4Network] = {}
        for role in subnets.ROLES:
            given = getattr(self.subnets, role)
            if given is not None:
                plan[role] = IPv4Network(given)
            elif role in carved:
                plan[role] = carved[role]
        return plan

    @property
    def total_nodes(self) -> int:
        """Nodes launched, spares included."""
        return sum(p.launched for p in self.pools)

    @property
    def cluster_tags(self) -> dict[str, str]:
        """Freeform tags on every resource: user tags plus who manages it."""
        return {**self.tags, "gpufleet-cluster": self.cluster_name, "managed-by": "gpufleet"}
