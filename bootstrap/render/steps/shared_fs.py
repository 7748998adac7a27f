"""shared_fs: mount the cluster's File Storage export (only when storage.file_system is set).

Source: HPC@v3 = github.com/oracle-quickstart/oci-hpc @ b5285a68 (role nfs-client).
"""

from __future__ import annotations

from bootstrap.render import plain
from bootstrap.render.package import plain_packages
from bootstrap.render.pool_input import PoolInput
from bootstrap.render.step import StepData

# The infra layer writes the File Storage mount target's address into the instance
# configuration metadata under this key; the node reads it from IMDS (per cluster, not rendered).
FSS_METADATA_KEY = "gpufleet_fss_host"
# HPC@v3 nfs-client options for /home, plus nofail so an unreachable FSS never blocks boot.
NFS_OPTS = (
    "defaults,nofail,noatime,bg,timeo=100,ac,actimeo=120,nocto,rsize=1048576,wsize=1048576,"
    "nolock,local_lock=all,mountproto=tcp,sec=sys,_netdev"
)
NFS_PACKAGES = {"dnf": ("nfs-utils",), "apt": ("nfs-common",)}


def build(inp: PoolInput) -> StepData:
    fs = inp.config.storage.file_system
    export = mount = ""
    if fs:
        export = plain.safe("path", "storage.file_system.export_path", fs.export_path, inp.name)
        mount = plain.safe("path", "storage.file_system.mount_path", fs.mount_path, inp.name)
    params = {"export": export, "mount": mount, "opts": NFS_OPTS}
    return StepData(
        name="shared_fs",
        action=f"mount the File Storage export {export} on {mount}" if fs else "nothing",
        disabled="" if fs else "not enabled (storage.file_system is not set)",
        params=params,
        packages=plain_packages(*NFS_PACKAGES[inp.family]) if fs else [],
        vars=params | {"metadata_key": FSS_METADATA_KEY},
    )
