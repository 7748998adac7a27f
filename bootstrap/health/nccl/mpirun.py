"""The Open MPI command line for a multi-node ``all_reduce_perf``, built from the shape's NCCL
environment (never typed twice: `infra.shapes.NcclSettings.env`).

Flags follow Oracle's samples (oci-hpc ``samples/gpu/nccl_run_allreduce*.sbatch``): UCX PML,
hcoll off, ranks bound to NUMA, one rank per GPU (``-npernode``), bootstrap over TCP on the
front-end NIC, NCCL variables passed with ``-x``. Example::

    >>> argv = mpirun_argv(CATALOG["BM.GPU.H100.8"], hostfile="/tmp/hosts", nodes=2)
    >>> argv[:4]
    ['mpirun', '--np', '16', '--npernode']
"""

from __future__ import annotations

import shlex

from bootstrap.topology.hostfile import hostfile_text
from infra.shapes import Shape

ALL_REDUCE = "all_reduce_perf"
# oci-hpc active health check sizes (facts/oci.md §5.2): 1 GiB .. 16 GiB, factor 2, 50 iters.
ALL_REDUCE_ARGS = ("-b", "1G", "-e", "16G", "-f", "2", "-g", "1", "-n", "50")


def single_node_command(shape: Shape, *, binary: str = ALL_REDUCE, timeout_s: int = 300) -> str:
    """One process driving every GPU of the node (what the `nccl-tests` fact parses)."""
    sizes = " ".join(ALL_REDUCE_ARGS[:6])
    return f"timeout {timeout_s} {shlex.quote(binary)} {sizes} -g {shape.gpu_count} -n 50"


def mpirun_argv(shape: Shape, *, hostfile: str, nodes: int, binary: str = ALL_REDUCE) -> list[str]:
    """argv for `nodes` nodes listed (in rank order) in `hostfile`, one rank per GPU."""
    if shape.nccl is None:
        raise ValueError(f"{shape.name} has no NCCL settings in the catalog; cannot build mpirun")
    if nodes < 2:
        raise ValueError(f"a multi-node run needs at least 2 nodes, got {nodes}")
    ranks = nodes * shape.gpu_count
    argv = [
        "mpirun",
        "--np", str(ranks),
        "--npernode", str(shape.gpu_count),
        "--hostfile", hostfile,
        "--bind-to", "numa",
        "--mca", "pml", "ucx",
        "--mca", "coll", "^hcoll",
        "-x", "UCX_TLS=tcp",
    ]  # fmt: skip
    env = shape.nccl.env()
    if shape.nccl.socket_ifname:
        argv += ["-x", f"UCX_NET_DEVICES={shape.nccl.socket_ifname}"]
    for name, value in env.items():
        argv += ["-x", f"{name}={value}"]
    return [*argv, binary, *ALL_REDUCE_ARGS]


def mpirun_command(
    shape: Shape, *, hostfile: str, hosts: list[str], binary: str = ALL_REDUCE, timeout_s: int = 900
) -> str:
    """A shell command for the launcher node: write `hosts` (rank order) to `hostfile`, run,
    remove `hostfile` again; exits with mpirun's status."""
    lines = hostfile_text(hosts, slots=shape.gpu_count)
    argv = mpirun_argv(shape, hostfile=hostfile, nodes=len(hosts), binary=binary)
    return (
        f"printf %s {shlex.quote(lines)} > {shlex.quote(hostfile)} && "
        f"timeout {timeout_s} {shlex.join(argv)}; "
        f"rc=$?; rm -f {shlex.quote(hostfile)}; exit $rc"
    )
