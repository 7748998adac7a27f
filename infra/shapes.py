"""The OCI bare-metal GPU shape catalog: the spine of gpufleet.

Every figure carries its public source in a comment beside it; a figure with no source is
``None`` (never a guess). NCCL env files, health thresholds, cost and power summaries are all
derived from this table, never typed in twice.

Source abbreviations used below:

- DOCS    docs.oracle.com/en-us/iaas/Content/Compute/References/computeshapes.htm (as transcribed
          in github.com/ai2-compute-gpu/oci-dr-hpc-v2 @ 1b62d6d3 docs/oci_shapes.md)
- SHAPES  github.com/oracle-quickstart/oci-hpc-oke @ f9bc357 manifests/sriov-network-node-policy/
          shapes.json (RDMA vs front-end mlx5 devices, rdma-settings mtu)
- NCCLCONF github.com/oracle-quickstart/oci-hpc @ b5285a68 (v3.1.0)
          playbooks/roles/nccl-conf/templates/* (the /etc/nccl.conf Oracle writes per shape)
- SAMPLES github.com/oracle-quickstart/oci-hpc @ b5285a68 samples/gpu/*.sbatch (mpirun extras)
- OKEPARAM github.com/oracle-quickstart/oci-hpc-oke @ 61d210ac
          docs/recommended-nccl-rccl-parameters-by-shape.md
- HC      github.com/oracle-quickstart/oci-hpc @ b5285a68
          playbooks/roles/healthchecks/files/{active_healthcheck.py,multi_node_active_healthcheck.py,
          check_gpu_setup.py} (busbw thresholds, NVLink table, NVMe counts)
- SKY     github.com/skypilot-org/skypilot-catalog @ 05887511 catalogs/v8/oci/vms.csv (list price
          per node-hour, same in every region; divided by the GPU count here)
- TDP     vendor pages: nvidia.com/en-us/data-center/{h100,h200,a100}/ ("up to 700W"/400 W),
          NVIDIA L40S datasheet ("Max Power Consumption 350W"), AMD MI300X spec ("750W Peak"),
          docs.nvidia.com/datacenter/dps .../device-specifications.html (GB200 GPU 1200 W)
- REFKW   NVIDIA reference systems with the same 8-GPU board, NOT an Oracle figure for the shape
          (Oracle publishes none): DGX H100/H200 user guide "10.2 kW max.", DGX B200 user guide
          "14.3 kW max.", DGX A100 user guide "6.5 kW max.", DPS device specifications
          "GB200 Compute Tray ... maxLoadWatts: 6667" (one tray = one BM.GPU.GB200.4)
- OSIMG   oci-hpc @ c4858207 documentation/Prerequisites.md (OL8/OL9/Ubuntu 22.04/24.04 images
          for NVIDIA x86 and AMD; "Nvidia_arm (GB200, GB300)" Ubuntu only) and oci-hpc-oke
          @ cb42a3ce docs/worker-node-images.md
- SLURMHPC github.com/oracle-quickstart/oci-hpc @ 029dd43f playbooks/roles/slurm/templates/
          slurm.conf.j2 (SocketsPerBoard x CoresPerSocket per shape, ThreadsPerCore 2 with its
          default hyperthreading on; A100-v2 as 8 NUMA "sockets" of 16 cores, threads 1)
- SMI     fixture nvidia_smi_BM.GPU.H200.8_driver570.txt (700 W power cap per H100/H200 GPU)
- TF      github.com/oracle-quickstart/oci-hpc @ b5285a68 cluster-network-configuration.tf:85,
          instance-pool-configuration.tf:81, compute-nodes.tf:70 (boot_volume_vpus_per_gb = 30
          on every compute node's boot volume, whatever the shape: "Ultra High Performance",
          docs.oracle.com .../Block/Concepts/blockvolumeperformance.htm, 30-120 VPUs/GB)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

OsName = Literal["oracle-linux-8", "oracle-linux-9", "ubuntu-22.04", "ubuntu-24.04"]
ALL_OS: tuple[OsName, ...] = ("oracle-linux-8", "oracle-linux-9", "ubuntu-22.04", "ubuntu-24.04")

HPCX_NET_PLUGIN = "hpcx-sharp-or-none"

# NCCL env vars whose values come from a shape's NcclSettings fields (in nccl.conf order).
_NCCL_FIELDS: tuple[tuple[str, str], ...] = (
    ("NCCL_IB_HCA", "ib_hca"),
    ("NCCL_IB_GID_INDEX", "gid_index"),
    ("NCCL_IB_TC", "traffic_class"),
    ("NCCL_IB_SL", "service_level"),
    ("NCCL_IB_TIMEOUT", "timeout"),
    ("NCCL_IB_QPS_PER_CONNECTION", "qps_per_connection"),
    ("NCCL_IB_SPLIT_DATA_ON_QPS", "split_data_on_qps"),
    ("NCCL_SOCKET_IFNAME", "socket_ifname"),
    ("NCCL_CUMEM_ENABLE", "cumem_enable"),
)


@dataclass(frozen=True)
class NcclSettings:
    """What Oracle recommends for NCCL (or RCCL) on a shape; ``None`` = not set by Oracle."""

    ib_hca: tuple[str, ...]  # exact device names, written as NCCL_IB_HCA="=mlx5_0,..."
    gid_index: int | None
    traffic_class: int | None
    service_level: int | None
    timeout: int | None
    qps_per_connection: int | None
    split_data_on_qps: int | None
    socket_ifname: str | None
    cumem_enable: int | None
    extra: tuple[tuple[str, str], ...] = ()  # further vars Oracle sets, verbatim
    # NCCL_NET_PLUGIN: HPCX_NET_PLUGIN = HPC-X's SHARP plugin when the node's image ships one,
    # else "none" (Oracle resolves it on the node: NCCLCONF tasks/main.yml `ls /opt/hpcx-*/
    # nccl_rdma_sharp_plugin/lib/libnccl-net.so`, fallback "none"); None = Oracle sets nothing.
    # Not in env(): it is known only on the node, so only /etc/nccl.conf carries it.
    net_plugin: str | None = None

    def env(self) -> dict[str, str]:
        """The settings as NCCL environment variables, in a stable order.

        >>> CATALOG["BM.GPU.H200.8"].nccl.env()["NCCL_IB_HCA"]
        '=mlx5_0,mlx5_3,mlx5_4,mlx5_5,mlx5_6,mlx5_9,mlx5_10,mlx5_11'
        """
        out: dict[str, str] = {"NCCL_DEBUG": "WARN"}  # NCCLCONF: every template sets WARN
        for var, attr in _NCCL_FIELDS:
            value = getattr(self, attr)
            if value is None:
                continue
            out[var] = "=" + ",".join(value) if attr == "ib_hca" else str(value)
        out.update(self.extra)
        return out


@dataclass(frozen=True)
class Shape:
    """One OCI bare-metal GPU shape. Units are in the field names."""

    name: str
    gpu_vendor: Literal["nvidia", "amd"]
    gpu_model: str
    gpu_count: int
    gpu_memory_gb: int | None  # per GPU
    gpu_tdp_w: int | None  # per GPU, maximum board power
    nvswitch: bool  # NVSwitch in the node: fabric manager is required
    nvlink_links: int | None  # per GPU, expected by HC check_gpu_setup.py get_nvlink_speed
    nvlink_gbs_per_link: int | None
    cpu_arch: Literal["x86_64", "aarch64"]
    cpu_cores: int | None
    ram_gb: int | None
    nvme_count: int | None
    nvme_tb_each: float | None
    frontend_gbps: int | None
    rdma_devices: tuple[str, ...]  # exact mlx5_* names of the RDMA (cluster network) ports
    rdma_gbps_each: int | None
    rdma_mtu: int | None
    nccl: NcclSettings | None
    busbw_1node_gbs: float | None  # all_reduce_perf "Avg bus bandwidth" pass threshold, 1 node
    busbw_multinode_gbs: float | None  # same, 2+ nodes
    usd_per_gpu_hour: float | None  # list price, on-demand
    node_max_kw: float | None  # maximum power draw of one node
    boot_volume_vpus_per_gb: int | None  # boot volume performance units per GB
    supported_os: tuple[OsName, ...] = ALL_OS
    needs_gpu_memory_cluster: bool = False  # NVL72 racks: compute cluster + GPU memory fabric
    # CPU topology as Slurm's NodeName line takes it (Sockets x CoresPerSocket x ThreadsPerCore);
    # None where no public source gives it (slurm.conf then declares CPUs=cpu_cores alone).
    cpu_sockets: int | None = None
    threads_per_core: int | None = None
    # None: gpufleet can run pools of this shape. Otherwise what it lacks, said to the user when
    # a pool names the shape (the catalog keeps its figures for planning and comparison).
    pools_refused: str | None = None
    sources: tuple[str, ...] = field(default=(), compare=False)

    @property
    def gpus(self) -> int:
        return self.gpu_count

    @property
    def rdma_tbps(self) -> float | None:
        """RDMA bandwidth per node in Tb/s (ports x Gb/s each)."""
        if self.rdma_gbps_each is None or not self.rdma_devices:
            return None
        return len(self.rdma_devices) * self.rdma_gbps_each / 1000

    @property
    def usd_per_node_hour(self) -> float | None:
        if self.usd_per_gpu_hour is None:
            return None
        return round(self.usd_per_gpu_hour * self.gpu_count, 4)


# --- NCCL settings ----------------------------------------------------------------------------


# NCCLCONF templates h100/h200/b200/b300 share every value but the HCA list.
def _hopper_blackwell_nccl(hca: tuple[str, ...]) -> NcclSettings:
    return NcclSettings(
        ib_hca=hca,
        gid_index=3,  # NCCLCONF; GID 3 = RoCEv2 IPv4-mapped GID (SHAPES rdma-settings)
        traffic_class=41,  # NCCLCONF; TOS 41 = DSCP 10, the "GPU" class (SHAPES dscp_gpu)
        service_level=0,  # NCCLCONF
        timeout=22,  # NCCLCONF
        qps_per_connection=1,  # NCCLCONF
        split_data_on_qps=0,  # NCCLCONF
        socket_ifname="eth0",  # NCCLCONF; eth0 = front-end VNIC under OCI device naming
        cumem_enable=0,  # NCCLCONF
        extra=(("NCCL_IGNORE_CPU_AFFINITY", "1"),),  # NCCLCONF
        net_plugin=HPCX_NET_PLUGIN,  # NCCLCONF h100/h200/b200/b300 line 9 {{hpcx_path}}
    )


def _a100_nccl(hca: tuple[str, ...]) -> NcclSettings:
    # NCCLCONF template a100_b4.8 (and the BM.GPU4.8 variant); TIMEOUT and SPLIT from OKEPARAM.
    return NcclSettings(
        ib_hca=hca,
        gid_index=3,
        traffic_class=41,
        service_level=0,
        timeout=22,  # OKEPARAM (A100/GPU4.8)
        qps_per_connection=4,  # NCCLCONF
        split_data_on_qps=0,  # OKEPARAM
        socket_ifname=None,  # not set by NCCLCONF for A100
        cumem_enable=None,
        extra=(("NCCL_IGNORE_CPU_AFFINITY", "1"),),
    )


# SHAPES + NCCLCONF h100 HCA list: 8 dual-port ConnectX-7, mlx5_2/mlx5_11 are front-end.
H100_RDMA = tuple(f"mlx5_{i}" for i in (0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17))
# SHAPES + NCCLCONF h200/b200: 8 single-port 400G ConnectX-7; mlx5_1,2,7,8 are front-end.
H200_RDMA = tuple(f"mlx5_{i}" for i in (0, 3, 4, 5, 6, 9, 10, 11))
# NCCLCONF a100_b4.8 HCA order (by GPU); SHAPES: mlx5_0 front-end, mlx5_13 unused.
A100V2_RDMA = tuple(f"mlx5_{i}" for i in (5, 6, 7, 8, 1, 2, 3, 4, 14, 15, 16, 17, 9, 10, 11, 12))
# NCCLCONF BM.GPU4.8 order; SHAPES: mlx5_4/mlx5_5 front-end.
GPU48_RDMA = tuple(f"mlx5_{i}" for i in (0, 2, 6, 8, 10, 12, 14, 16, 1, 3, 7, 9, 11, 13, 15, 17))
# SAMPLES GB200.4 sbatch and HC (both GB200 variants use 0,1,3,4); mlx5_2/mlx5_5 front-end.
GB200_RDMA = ("mlx5_0", "mlx5_1", "mlx5_3", "mlx5_4")
# SAMPLES rccl_run_allreduce.sbatch; SHAPES: mlx5_1/mlx5_6 front-end (ConnectX-6 Dx).
MI300X_RDMA = tuple(f"mlx5_{i}" for i in (0, 2, 3, 4, 5, 7, 8, 9))
# SHAPES: rdma0=mlx5_0, rdma1=mlx5_2; mlx5_1/3/4/5 are front-end.
L40S_RDMA = ("mlx5_0", "mlx5_2")


CATALOG: dict[str, Shape] = {
    s.name: s
    for s in (
        Shape(
            name="BM.GPU.H100.8",
            gpu_vendor="nvidia",
            gpu_model="H100 80GB HBM3",  # DOCS; IMDS sample
            gpu_count=8,  # DOCS
            gpu_memory_gb=80,  # DOCS (81559 MiB in nvidia-smi)
            gpu_tdp_w=700,  # TDP "up to 700W"; SMI shows a 700 W cap
            nvswitch=True,  # HC check_gpu_setup.py checks Fabric Manager on H100
            nvlink_links=18,  # HC get_nvlink_speed: H100 18 x 25 GB/s
            nvlink_gbs_per_link=25,  # HC get_nvlink_speed (same line as nvlink_links)
            cpu_arch="x86_64",
            cpu_cores=112,  # DOCS (2 x 56, IMDS shapeConfig ocpus 112)
            ram_gb=2048,  # DOCS
            cpu_sockets=2,  # SLURMHPC
            threads_per_core=2,  # SLURMHPC
            nvme_count=16,  # DOCS; HC nvmes_number H100 = 16
            nvme_tb_each=3.84,  # DOCS
            frontend_gbps=100,  # DOCS 1 x 100 Gbps (IMDS networkingBandwidthInGbps 100)
            rdma_devices=H100_RDMA,
            rdma_gbps_each=200,  # DOCS 8 x 2 x 200 Gbps = 3.2 Tbps
            rdma_mtu=4220,  # SHAPES rdma-settings mtu (ConnectX-7)
            nccl=_hopper_blackwell_nccl(H100_RDMA),
            busbw_1node_gbs=440.0,  # HC active_healthcheck.py threshold H100
            busbw_multinode_gbs=440.0,  # HC multi_node_active_healthcheck.py H100
            usd_per_gpu_hour=10.0,  # SKY: $80/node-hour
            node_max_kw=10.2,  # REFKW: DGX H100 "10.2 kW max."
            boot_volume_vpus_per_gb=30,  # TF (Oracle's reference for every shape)
        ),
        Shape(
            name="BM.GPU.H200.8",
            gpu_vendor="nvidia",
            gpu_model="H200 141GB HBM3e",  # DOCS 1128 GB total (141 per GPU)
            gpu_count=8,  # DOCS
            gpu_memory_gb=141,  # DOCS (143771 MiB in nvidia-smi, SMI)
            gpu_tdp_w=700,  # SMI: "700W" cap on every GPU of a BM.GPU.H200.8
            nvswitch=True,
            nvlink_links=18,  # HC get_nvlink_speed: H200 18 x 25 GB/s
            nvlink_gbs_per_link=25,  # HC get_nvlink_speed (same line as nvlink_links)
            cpu_arch="x86_64",
            cpu_cores=112,  # DOCS
            ram_gb=3072,  # DOCS
            cpu_sockets=2,  # SLURMHPC
            threads_per_core=2,  # SLURMHPC
            nvme_count=8,  # DOCS; HC nvmes_number H200 = 8
            nvme_tb_each=3.84,  # DOCS
            frontend_gbps=200,  # DOCS 1 x 200 Gbps
            rdma_devices=H200_RDMA,
            rdma_gbps_each=400,  # DOCS 8 x 400 Gbps
            rdma_mtu=4220,  # SHAPES
            nccl=_hopper_blackwell_nccl(H200_RDMA),
            busbw_1node_gbs=440.0,  # HC active_healthcheck.py H200
            busbw_multinode_gbs=440.0,  # HC multi_node_active_healthcheck.py H200
            usd_per_gpu_hour=10.0,  # SKY: $80/node-hour (a blog's ~$98 disagrees)
            node_max_kw=10.2,  # REFKW: DGX H100/H200 "10.2 kW max."
            boot_volume_vpus_per_gb=30,  # TF (Oracle's reference for every shape)
        ),
        Shape(
            name="BM.GPU.B200.8",
            gpu_vendor="nvidia",
            gpu_model="B200 180GB HBM3e",  # DOCS 1440 GB total
            gpu_count=8,  # DOCS
            gpu_memory_gb=180,  # DOCS
            gpu_tdp_w=1000,  # TDP: HGX B200 1,000 W
            nvswitch=True,
            nvlink_links=18,  # HC get_nvlink_speed: B200 18 x 50 GB/s
            nvlink_gbs_per_link=50,  # HC get_nvlink_speed (same line as nvlink_links)
            cpu_arch="x86_64",
            cpu_cores=128,  # DOCS
            ram_gb=4096,  # DOCS
            nvme_count=8,  # DOCS; HC nvmes_number
            nvme_tb_each=3.84,  # DOCS
            frontend_gbps=400,  # DOCS 2 x 200 Gbps
            rdma_devices=H200_RDMA,  # SHAPES: same device map as H200
            rdma_gbps_each=400,  # DOCS 8 x 400 Gbps
            rdma_mtu=4220,  # SHAPES
            nccl=_hopper_blackwell_nccl(H200_RDMA),  # NCCLCONF b200 = h200 list
            busbw_1node_gbs=440.0,  # HC active_healthcheck.py B200
            busbw_multinode_gbs=440.0,  # HC multi_node_active_healthcheck.py B200
            usd_per_gpu_hour=14.0,  # SKY: $112/node-hour
            node_max_kw=14.3,  # REFKW: DGX B200 "14.3 kW max."
            boot_volume_vpus_per_gb=30,  # TF (Oracle's reference for every shape)
        ),
        Shape(
            name="BM.GPU.GB200.4",
            gpu_vendor="nvidia",
            gpu_model="GB200 192GB HBM3e",  # DOCS 768 GB total
            gpu_count=4,  # DOCS
            gpu_memory_gb=192,  # DOCS
            gpu_tdp_w=1200,  # TDP: DPS GB200 GPU maxLoadWatts 1200
            nvswitch=True,  # NVL72 rack NVSwitch trays; IMEX instead of per-node fabric manager
            nvlink_links=18,  # HC get_nvlink_speed: GB200 18 x 50 GB/s
            nvlink_gbs_per_link=50,  # HC get_nvlink_speed (same line as nvlink_links)
            cpu_arch="aarch64",  # DOCS Grace
            cpu_cores=144,  # DOCS
            ram_gb=960,  # DOCS
            nvme_count=4,  # DOCS; HC nvmes_number GB200 = 4
            nvme_tb_each=7.68,  # DOCS
            frontend_gbps=400,  # DOCS 2 x 200 Gbps
            rdma_devices=GB200_RDMA,
            rdma_gbps_each=400,  # DOCS 4 x 400 Gbps
            # SHAPES gives BM.GPU.GB200.4 (and GB200-v2) RDMA settings with no mtu at all
            # (9000 only for the ConnectX-8 GB200-v3/GB300) and no other public source names
            # one: not enforced, the ports keep what the OCA RDMA plugin sets.
            rdma_mtu=None,
            nccl=NcclSettings(
                ib_hca=GB200_RDMA,  # SAMPLES GB200.4
                gid_index=None,
                traffic_class=None,
                service_level=None,
                timeout=None,
                qps_per_connection=None,
                split_data_on_qps=None,
                socket_ifname="eth0",  # SAMPLES
                cumem_enable=1,  # SAMPLES: NCCL_CUMEM_ENABLE=1 for MNNVL
                extra=(
                    ("NCCL_MNNVL_ENABLE", "1"),  # SAMPLES
                    ("NCCL_NVLS_ENABLE", "1"),  # SAMPLES
                    ("NCCL_NET_GDR_C2C", "1"),  # SAMPLES
                ),
                # SAMPLES nccl_run_allreduce_GB200.sbatch: NCCL_NET_PLUGIN=${hpcx_path}
                net_plugin=HPCX_NET_PLUGIN,
            ),
            busbw_1node_gbs=None,  # HC has no single-node figure for GB200.4
            busbw_multinode_gbs=None,  # HC multi-node table: "-" for GB200.4
            usd_per_gpu_hour=16.0,  # SKY: $64/node-hour
            node_max_kw=6.667,  # REFKW: GB200 compute tray 6667 W
            boot_volume_vpus_per_gb=30,  # TF (Oracle's reference for every shape)
            supported_os=(
                "ubuntu-22.04",
                "ubuntu-24.04",
            ),  # OSIMG: arm images: Ubuntu
            needs_gpu_memory_cluster=True,  # oci-hpc cluster-network.tf: GB200 -> memory cluster
        ),
        Shape(
            name="BM.GPU.A100-v2.8",
            gpu_vendor="nvidia",
            gpu_model="A100-SXM4-80GB",  # DOCS
            gpu_count=8,  # DOCS
            gpu_memory_gb=80,  # DOCS
            gpu_tdp_w=400,  # TDP: A100 SXM4 400 W
            nvswitch=True,  # HGX A100 board; HC runs the fabric-manager check on A100
            nvlink_links=12,  # HC get_nvlink_speed: A100 12 x 25 GB/s
            nvlink_gbs_per_link=25,  # HC get_nvlink_speed (same line as nvlink_links)
            cpu_arch="x86_64",
            cpu_cores=128,  # DOCS (AMD Milan)
            ram_gb=2048,  # DOCS
            cpu_sockets=8,  # SLURMHPC
            threads_per_core=1,  # SLURMHPC
            nvme_count=4,  # DOCS 27.2 TB in 4 drives; HC nvmes_number = 4
            nvme_tb_each=6.8,  # DOCS 27.2 TB / 4 drives
            frontend_gbps=100,  # DOCS 2 x 50 Gbps
            rdma_devices=A100V2_RDMA,
            rdma_gbps_each=100,  # DOCS 16 x 100 Gbps
            rdma_mtu=4220,  # SHAPES (ConnectX-5 GPU shapes)
            nccl=_a100_nccl(A100V2_RDMA),
            busbw_1node_gbs=185.0,  # HC active_healthcheck.py A100 family
            busbw_multinode_gbs=185.0,  # HC multi_node_active_healthcheck.py A100 family
            usd_per_gpu_hour=4.0,  # SKY: $32/node-hour
            node_max_kw=6.5,  # REFKW: DGX A100 "6.5 kW max."
            boot_volume_vpus_per_gb=30,  # TF (Oracle's reference for every shape)
        ),
        Shape(
            name="BM.GPU4.8",
            gpu_vendor="nvidia",
            gpu_model="A100-SXM4-40GB",  # DOCS
            gpu_count=8,  # DOCS
            gpu_memory_gb=40,  # DOCS
            gpu_tdp_w=400,  # TDP: A100 SXM4 400 W
            nvswitch=True,
            nvlink_links=12,  # HC get_nvlink_speed: GPU4.8 12 x 25 GB/s
            nvlink_gbs_per_link=25,  # HC get_nvlink_speed (same line as nvlink_links)
            cpu_arch="x86_64",
            cpu_cores=64,  # DOCS (AMD Rome)
            ram_gb=2048,  # DOCS
            cpu_sockets=2,  # SLURMHPC
            threads_per_core=2,  # SLURMHPC
            nvme_count=4,  # DOCS; HC nvmes_number
            nvme_tb_each=6.8,  # DOCS 27.2 TB / 4 drives
            frontend_gbps=50,  # DOCS 1 x 50 Gbps
            rdma_devices=GPU48_RDMA,
            rdma_gbps_each=100,  # DOCS 16 CX-5 ports x 100G (8 x 200 Gbps)
            rdma_mtu=4220,  # SHAPES; ifconfig fixture shows mtu 4220 on the RDMA ports
            nccl=_a100_nccl(GPU48_RDMA),
            busbw_1node_gbs=185.0,  # HC active_healthcheck.py
            busbw_multinode_gbs=185.0,  # HC multi_node_active_healthcheck.py
            usd_per_gpu_hour=3.05,  # SKY: $24.40/node-hour
            node_max_kw=6.5,  # REFKW: DGX A100 "6.5 kW max."
            boot_volume_vpus_per_gb=30,  # TF (Oracle's reference for every shape)
        ),
        Shape(
            name="BM.GPU.L40S.4",
            gpu_vendor="nvidia",
            gpu_model="L40S 48GB",  # DOCS
            gpu_count=4,  # DOCS
            gpu_memory_gb=48,  # DOCS
            gpu_tdp_w=350,  # TDP: L40S datasheet 350 W
            nvswitch=False,  # PCIe cards, no NVLink/NVSwitch
            nvlink_links=None,
            nvlink_gbs_per_link=None,
            cpu_arch="x86_64",
            cpu_cores=112,  # DOCS
            ram_gb=1024,  # DOCS
            nvme_count=2,  # DOCS 2 x 3.84 TB
            nvme_tb_each=3.84,  # DOCS
            frontend_gbps=200,  # DOCS 1 x 200 Gbps
            rdma_devices=L40S_RDMA,
            rdma_gbps_each=400,  # DOCS 800 Gbps total over 2 x CX-7
            rdma_mtu=4220,  # SHAPES
            nccl=None,  # no Oracle-published NCCL settings for L40S
            busbw_1node_gbs=None,
            busbw_multinode_gbs=None,
            usd_per_gpu_hour=3.5,  # SKY: $14/node-hour
            node_max_kw=None,  # no public figure for the node or a reference server
            boot_volume_vpus_per_gb=30,  # TF (Oracle's reference for every shape)
        ),
        Shape(
            name="BM.GPU.MI300X.8",
            gpu_vendor="amd",
            gpu_model="MI300X 192GB HBM3",  # DOCS
            gpu_count=8,  # DOCS
            gpu_memory_gb=192,  # DOCS
            gpu_tdp_w=750,  # TDP: MI300X 750 W peak board power
            nvswitch=False,  # AMD Infinity Fabric, no NVIDIA fabric manager
            nvlink_links=None,
            nvlink_gbs_per_link=None,
            cpu_arch="x86_64",
            cpu_cores=112,  # DOCS
            ram_gb=2048,  # DOCS
            nvme_count=8,  # DOCS; HC nvmes_number MI300X = 8
            nvme_tb_each=3.84,  # DOCS
            frontend_gbps=100,  # DOCS 1 x 100 Gbps
            rdma_devices=MI300X_RDMA,
            rdma_gbps_each=400,  # DOCS 8 x 400 Gbps
            rdma_mtu=4220,  # SHAPES (CX-7 settings list MI300X)
            nccl=NcclSettings(
                ib_hca=MI300X_RDMA,  # SAMPLES rccl_run_allreduce.sbatch
                gid_index=None,
                traffic_class=None,
                service_level=None,
                timeout=None,
                qps_per_connection=4,  # SAMPLES
                split_data_on_qps=None,
                socket_ifname="eth0",  # SAMPLES
                cumem_enable=None,
            ),
            busbw_1node_gbs=310.0,  # HC active_healthcheck.py RCCL threshold
            busbw_multinode_gbs=350.0,  # HC multi_node_active_healthcheck.py MI300X
            usd_per_gpu_hour=6.0,  # SKY: $48/node-hour
            node_max_kw=None,  # no public figure found
            boot_volume_vpus_per_gb=30,  # TF (Oracle's reference for every shape)
            supported_os=ALL_OS,  # OSIMG: OL8/OL9 and Ubuntu images for AMD
            pools_refused=(
                "gpufleet cannot bootstrap or health-check AMD GPUs: it has no ROCm repository "
                "or amdgpu driver step, no amd-smi facts or GPU checks (a node with broken GPUs "
                "would pass the health gate) and no RCCL settings"
            ),
        ),
    )
}


def get_shape(name: str) -> Shape:
    """The catalog entry for ``name``; KeyError names the known shapes."""
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(f"unknown shape {name!r}; known: {', '.join(sorted(CATALOG))}") from None
