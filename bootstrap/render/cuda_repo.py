"""NVIDIA's CUDA package repository per OS: where it is, the key that signs it, and the exact
package versions (epochs included) the bootstrap installs from it for a software config.

Every value below follows NVIDIA's repositories as recorded, with sources, in
tests/packages/nvidia_repos.yaml; tests build stand-in repositories from that file and install
these pins with the real apt-get and dnf.

Sources (short names used in the comments):
- GUIDE  NVIDIA CUDA Installation Guide for Linux, network repo installation (Ubuntu: the
         `deb [signed-by=...] <repo> /` source the cuda-keyring package installs; RHEL/OL:
         cuda-<distro>.repo) — docs.nvidia.com/cuda/cuda-installation-guide-linux/
- KMOD   NVIDIA Driver Installation Guide, Kernel Modules: on RHEL/OL 8/9 the driver comes from
         the DNF module stream `nvidia-driver:<branch>-open` —
         docs.nvidia.com/datacenter/tesla/driver-installation-guide/kernel-modules.html
- LOCK   same guide, Version locking: EL driver packages carry epoch 3 (`...-3:575.51-1`)
- SIGS   github.com/NVIDIA/cuda-repo-management @2944b7a4 SIGNATURES.md (key fingerprints)
- PINS   public install scripts pinning NVIDIA's Ubuntu packages: driver packages
         `<driver>-0ubuntu1`, nvidia-fabricmanager-<branch> `<driver>-1`
- PINPKG NVIDIA's nvidia-driver-pinning-<version> packages pin `version <driver>-*` at priority
         1000 in /etc/apt/preferences.d (the same mechanism is written here)
- IMG    github.com/oracle-quickstart/oci-hpc-images @9263b5fa roles nvidia_dcgm (apt
         `=1:4.4.2-1`, yum `-4.4.2-1`), nvidia_driver (`@nvidia-driver:570-open/fm`)
"""

from __future__ import annotations

from dataclasses import dataclass

from bootstrap.render.package import PkgFamily

BASE_URL = "https://developer.download.nvidia.com/compute/cuda/repos"
# SIGS: the Debian/Ubuntu repositories are signed by key 3bf863cc, the RPM ones by D42D0685.
APT_KEY_ID, APT_KEY_FPR = "3bf863cc", "EB693B3035CD5710E231E123A4B469963BF863CC"
DNF_KEY_ID, DNF_KEY_FPR = "D42D0685", "610C7B14E068A878070DA4E99CD0A493D42D0685"
# GUIDE: where the cuda-keyring package puts the keyring; using the same path (and source file
# name) means an image that installed cuda-keyring already counts as configured.
APT_KEYRING = "/usr/share/keyrings/cuda-archive-keyring.gpg"
DNF_KEY_FILE = "/etc/pki/rpm-gpg/RPM-GPG-KEY-NVIDIA-CUDA"

# IMG nvidia_dcgm: "stable" DCGM 4.4.2-1; apt needs its epoch, dnf matches any epoch when the
# spec names none (the EL epoch was not seen, so none is written there).
DCGM_VERSION = {"apt": "1:4.4.2-1", "dnf": "4.4.2-1"}


@dataclass(frozen=True)
class CudaRepo:
    """The CUDA repository of one OS and CPU architecture."""

    family: PkgFamily
    distro: str  # ubuntu2204, rhel9, ...
    url: str  # ends with '/'
    key_url: str
    key_fpr: str
    source_file: str  # the apt source / yum repo file the bootstrap writes
    key_file: str


def cuda_repo(family: PkgFamily, os_id: str, os_version: str, cpu_arch: str) -> CudaRepo:
    """NVIDIA's repository for this OS (GUIDE; Arm servers use the `sbsa` tree, as IMG's
    nvidia_driver role vars `_ubuntu_repo_dir_arm` do)."""
    arch = "sbsa" if cpu_arch == "aarch64" else "x86_64"
    if family == "apt":
        distro = f"{os_id}{os_version.replace('.', '')}"
        key_id, fpr, key_file = APT_KEY_ID, APT_KEY_FPR, APT_KEYRING
        source = f"/etc/apt/sources.list.d/cuda-{distro}-{arch}.list"
    else:
        distro = f"rhel{os_version.split('.')[0]}"
        key_id, fpr, key_file = DNF_KEY_ID, DNF_KEY_FPR, DNF_KEY_FILE
        source = f"/etc/yum.repos.d/cuda-{distro}.repo"
    url = f"{BASE_URL}/{distro}/{arch}/"
    return CudaRepo(family, distro, url, f"{url}{key_id}.pub", fpr, source, key_file)


def driver_version(family: PkgFamily, os_version: str, driver: str) -> str:
    """The exact repository version of the driver packages (PINS; LOCK + `1.el<N>` release)."""
    if family == "apt":
        return f"{driver}-0ubuntu1"
    return f"3:{driver}-1.el{os_version.split('.')[0]}"


def fabric_manager_version(family: PkgFamily, driver: str) -> str:
    """Fabric manager must equal the driver exactly; its packages carry revision `-1` and no
    dist tag (PINS; AL2023 notes list nvidia-fabric-manager-570.172.08-1)."""
    return f"{driver}-1"


def dnf_module_stream(driver: str) -> str:
    """KMOD: the module stream that carries this driver branch with open kernel modules."""
    return f"nvidia-driver:{driver.split('.')[0]}-open"


def apt_driver_pin(driver: str) -> str:
    """/etc/apt/preferences.d content holding every package of the driver branch at `driver`.

    The metapackage depends on its libraries at its exact version, but apt picks each
    dependency's newest version: with a newer point release in the repository, installing
    `nvidia-driver-<branch>-open=<old>` alone fails with unmet dependencies. Pinning the whole
    branch (as NVIDIA's nvidia-driver-pinning packages do, PINPKG) makes the pinned version the
    candidate for every package of the set, the unversioned dependencies included.
    """
    branch = driver.split(".")[0]
    return (
        "# gpufleet: every package of NVIDIA driver branch "
        f"{branch} at {driver} (the driver's dependencies move together)\n"
        f"Package: /nvidia.*-{branch}(-|$)/\n"
        f"Pin: version {driver}-*\n"
        "Pin-Priority: 1000\n"
    )
