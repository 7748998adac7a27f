"""Local apt and dnf repositories of empty stand-in packages, laid out like NVIDIA's.

Built from `nvidia_repos.yaml` with the tools Debian ships: `dpkg-deb` + `apt-ftparchive` for
apt (a flat repository, `deb <url> /` as NVIDIA's), `rpmbuild` + `createrepo_c` +
`modifyrepo_c` (modules.yaml: the `nvidia-driver` streams and profiles) for dnf. The packages
hold no files: only their names, versions (epochs included) and dependencies matter to the
package managers, which are what the tests exercise.

>>> repo = build_apt_repo(tmp / "apt")        # doctest: +SKIP
>>> (repo / "Packages").is_file()             # doctest: +SKIP
True
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

FACTS = Path(__file__).with_name("nvidia_repos.yaml")


def facts() -> dict[str, Any]:
    """The parsed fact file."""
    data: dict[str, Any] = yaml.safe_load(FACTS.read_text())
    return data


def _run(*cmd: str | Path, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc.stdout


# --- the test signing key ---------------------------------------------------------------------


def make_signing_key(home: Path) -> str:
    """A throwaway signing key in GnuPG home `home`; returns its fingerprint. The stand-in
    repositories are signed with it the way NVIDIA signs its own (Release / rpm headers)."""
    home.mkdir(mode=0o700)
    _run(
        "gpg",
        "--homedir",
        home,
        "--batch",
        "--passphrase",
        "",
        "--quick-gen-key",
        "gpufleet test repository <tests@localhost>",
        "rsa2048",
        "sign",
        "never",
    )
    out = _run("gpg", "--homedir", home, "--batch", "--with-colons", "--list-keys")
    return next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))


def export_key(home: Path, dest: Path) -> Path:
    """The public key, ASCII-armored, as NVIDIA publishes its `<keyid>.pub`."""
    dest.write_text(_run("gpg", "--homedir", home, "--batch", "--armor", "--export"))
    return dest


def export_keyring(home: Path, dest: Path) -> Path:
    """The public key as a binary keyring, as an image ships its archive's keyring."""
    _run("gpg", "--homedir", home, "--batch", "--yes", "--output", dest, "--export")
    return dest


# --- apt ----------------------------------------------------------------------------------------


def _deb(
    out: Path,
    name: str,
    version: str,
    depends: list[str],
    arch: str = "amd64",
    multi_arch: str | None = None,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        control = Path(tmp) / "DEBIAN" / "control"
        control.parent.mkdir()
        lines = [
            f"Package: {name}",
            f"Version: {version}",
            f"Architecture: {arch}",
            "Maintainer: gpufleet tests <tests@localhost>",
            f"Description: stand-in for {name}",
        ]
        if multi_arch:
            lines.append(f"Multi-Arch: {multi_arch}")
        if depends:
            lines.append("Depends: " + ", ".join(d.replace("{version}", version) for d in depends))
        control.write_text("\n".join(lines) + "\n")
        filename = f"{name}_{version.replace(':', '%3a')}_{arch}.deb"
        _run("dpkg-deb", "-Zgzip", "--root-owner-group", "--build", tmp, out / filename)


def build_apt_repo(dest: Path, gpg_home: Path, arch: str = "amd64") -> Path:
    """A flat apt repository (Packages, Release, InRelease and Release.gpg signed with the key
    in `gpg_home`) of every package in the fact file's `apt` section, built for `arch` (NVIDIA
    publishes the same names and versions in its x86_64 and sbsa trees)."""
    dest.mkdir(parents=True)
    apt = facts()["apt"]
    for pkg in apt["packages"]:
        for version in pkg["versions"]:
            _deb(dest, pkg["name"], version, pkg.get("depends", []), arch)
    for pkg, version in _container_toolkit("apt"):
        _deb(dest, pkg["name"], version, pkg["depends"], arch)
    keyring = apt["repository"]["keyring_package"]
    _deb(dest, keyring["name"], keyring["version"], [], keyring["architecture"])
    (dest / "Packages").write_text(_run("apt-ftparchive", "packages", ".", cwd=dest))
    # NVIDIA's Release carries Label "NVIDIA CUDA" (oci-hpc-images cuda-ubuntu.pin keys on it).
    release = _run(
        "apt-ftparchive",
        "-o",
        "APT::FTPArchive::Release::Label=NVIDIA CUDA",
        "-o",
        "APT::FTPArchive::Release::Origin=NVIDIA",
        "release",
        ".",
        cwd=dest,
    )
    (dest / "Release").write_text(release)
    sign = ("gpg", "--homedir", gpg_home, "--batch", "--yes")
    _run(*sign, "--clearsign", "-o", dest / "InRelease", dest / "Release")
    _run(*sign, "--armor", "--detach-sign", "-o", dest / "Release.gpg", dest / "Release")
    return dest


# --- dnf ----------------------------------------------------------------------------------------


def _nevra_parts(pkg: dict[str, Any], version: str, dist: str) -> tuple[str, str]:
    full = version.replace("{dist}", dist)
    ver, rel = full.rsplit("-", 1)
    return ver, rel


def _spec(pkg: dict[str, Any], version: str, dist: str) -> str:
    ver, rel = _nevra_parts(pkg, version, dist)
    epoch = pkg.get("epoch")
    evr = f"{epoch}:{ver}-{rel}" if epoch is not None else f"{ver}-{rel}"
    lines = [
        f"Name: {pkg['name']}",
        f"Version: {ver}",
        f"Release: {rel}",
        "Summary: stand-in package",
        "License: MIT",
        f"BuildArch: {pkg.get('arch', 'x86_64')}",
    ]
    if epoch is not None:
        lines.append(f"Epoch: {epoch}")
    for req in pkg.get("requires", []):
        lines.append("Requires: " + req.replace("{evr}", evr))
    lines += ["%description", "stand-in", "%files", ""]
    return "\n".join(lines)


def _modules_yaml(dnf: dict[str, Any], dist: str) -> str:
    """modules.yaml as NVIDIA's genmodules.py lays it out (see the fact file's sources)."""
    mods = dnf["modules"]
    by_name = {p["name"]: p for p in dnf["packages"]}
    docs: list[dict[str, Any]] = []
    for s in mods["streams"]:
        branch = s["branch"]
        members = [*mods["branch_packages"], s["kmod"], "nvidia-fabric-manager"]
        artifacts = []
        for name in members:
            pkg = by_name[name]
            for version in pkg["versions"]:
                if not version.startswith(branch + "."):
                    continue
                ver, rel = _nevra_parts(pkg, version, dist)
                arch = pkg.get("arch", "x86_64")
                artifacts.append(f"{name}-{pkg.get('epoch', 0)}:{ver}-{rel}.{arch}")
        profiles = {}
        for profile, items in mods["profiles"].items():
            rpms: list[str] = []
            for item in items:
                if item == "branch_packages":
                    rpms += mods["branch_packages"]
                elif item == "kmod":
                    rpms.append(s["kmod"])
                else:
                    rpms.append(item.replace("{branch}", branch))
            profiles[profile] = {"rpms": sorted(rpms)}
        docs.append(_modulemd(mods["name"], s["stream"], profiles, artifacts))
    profiles = {s["stream"]: ["default"] for s in mods["streams"]}
    docs.append(_module_defaults(mods["name"], mods["default_stream"], profiles))
    return yaml.safe_dump_all(docs, explicit_start=True, explicit_end=True, sort_keys=False)


def _modulemd(
    name: str, stream: str, profiles: dict[str, Any], artifacts: list[str]
) -> dict[str, Any]:
    """One module stream (modulemd v2) with its profiles and artifact NEVRAs."""
    return {
        "document": "modulemd",
        "version": 2,
        "data": {
            "name": name,
            "stream": stream,
            "version": 20251009011129,
            "context": "f132e61741",
            "arch": "x86_64",
            "summary": f"{name} {stream}",
            "description": "stand-in",
            "license": {"module": ["MIT"]},
            "profiles": profiles,
            "artifacts": {"rpms": artifacts},
        },
    }


def _module_defaults(name: str, stream: str, profiles: dict[str, list[str]]) -> dict[str, Any]:
    """modulemd-defaults: the stream dnf enables without being asked."""
    return {
        "document": "modulemd-defaults",
        "version": 1,
        "data": {"module": name, "stream": stream, "profiles": profiles},
    }


def _archive_modules_yaml(entry: dict[str, Any], dist: str) -> str:
    """modules.yaml of an OS archive's AppStream: each module's one stream, its packages as
    artifacts, and its default stream."""
    by_name = {p["name"]: p for p in entry["packages"]}
    docs = []
    for mod in entry.get("modules", []):
        artifacts = []
        for name in mod["packages"]:
            pkg = by_name[name]
            ver, rel = _nevra_parts(pkg, pkg["version"], dist)
            artifacts.append(f"{name}-{pkg.get('epoch', 0)}:{ver}-{rel}.x86_64")
        profiles = {k: {"rpms": v} for k, v in mod["profiles"].items()}
        docs.append(_modulemd(mod["name"], mod["stream"], profiles, artifacts))
        defaults = {mod["stream"]: [mod["default_profile"]]}
        docs.append(_module_defaults(mod["name"], mod["stream"], defaults))
    return yaml.safe_dump_all(docs, explicit_start=True, explicit_end=True, sort_keys=False)


def _rpm_repo(
    dest: Path, builds: list[tuple[dict[str, Any], str]], dist: str, gpg_home: Path, fpr: str
) -> Path:
    """Build each (package entry, version) as an rpm into `dest`, sign them all with the key
    in `gpg_home` and index them (repodata, no modules)."""
    dest.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp)
        (top / "SPECS").mkdir()
        for n, (pkg, version) in enumerate(builds):
            spec = top / "SPECS" / f"{pkg['name']}-{n}.spec"
            spec.write_text(_spec(pkg, version, dist))
            _run(
                "rpmbuild",
                "--quiet",
                "--define",
                f"_topdir {top}",
                "--define",
                f"_rpmdir {dest}",
                "--define",
                "_build_id_links none",
                "--define",
                "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm",
                "-bb",
                spec,
            )
    rpms = sorted(dest.glob("*.rpm"))
    _run(
        "rpmsign",
        "--define",
        "__gpg /usr/bin/gpg",
        "--define",
        f"_gpg_path {gpg_home}",
        "--define",
        f"_gpg_name {fpr}",
        "--addsign",
        *rpms,
    )
    _run("createrepo_c", "--quiet", "--no-database", dest)
    return dest


def build_dnf_repo(dest: Path, dist: str, gpg_home: Path, fpr: str) -> Path:
    """A dnf repository (repodata with modules.yaml; every rpm signed with the key in
    `gpg_home`) of the fact file's `dnf` section for one EL release (`dist` = el8 / el9)."""
    dnf = facts()["dnf"]
    builds = [(pkg, v) for pkg in dnf["packages"] for v in pkg["versions"]]
    _rpm_repo(dest, builds + _container_toolkit("dnf"), dist, gpg_home, fpr)
    _add_modules(dest, _modules_yaml(dnf, dist))
    return dest


def _container_toolkit(family: str) -> list[tuple[dict[str, Any], str]]:
    """NVIDIA's container toolkit packages as (entry, version) for one family's repository."""
    ctk = facts()["container_toolkit"]
    out = []
    for pkg in ctk["packages"]:
        deps = pkg.get("depends", [])
        if family == "dnf":  # `name (op version)` -> rpm's `name op version`
            deps = [d.replace(" (", " ").rstrip(")").replace("{version}", "{evr}") for d in deps]
        out.append(({"name": pkg["name"], "depends": deps, "requires": deps}, ctk["version"]))
    return out


# --- the distribution archives (the OS's own repositories) -----------------------------------


def archive(os_name: str) -> dict[str, Any]:
    """The fact file's `distribution_archives` entry of one OS."""
    entry: dict[str, Any] = facts()["distribution_archives"][os_name]
    return entry


def build_apt_archive(dest: Path, os_name: str, gpg_home: Path, arch: str = "amd64") -> Path:
    """An Ubuntu archive laid out as archive.ubuntu.com (ports.ubuntu.com for arm64):
    pool/<component>/*.deb, dists/<suite>/<component>/binary-<arch>/Packages and a signed
    dists/<suite>/InRelease."""
    entry = archive(os_name)
    suite = entry["suite"]
    components = sorted({p["component"] for p in entry["packages"]})
    for comp in components:
        (dest / "pool" / comp).mkdir(parents=True)
    for pkg in entry["packages"]:
        pool = dest / "pool" / pkg["component"]
        _deb(
            pool,
            pkg["name"],
            pkg["version"],
            pkg.get("depends", []),
            "all" if pkg.get("architecture") == "all" else arch,
            pkg.get("multi_arch"),
        )
    dists = dest / "dists" / suite
    for comp in components:
        index = dists / comp / f"binary-{arch}"
        index.mkdir(parents=True)
        (index / "Packages").write_text(
            _run("apt-ftparchive", "packages", f"pool/{comp}", cwd=dest)
        )
    opts = {
        "Origin": "Ubuntu",
        "Label": "Ubuntu",
        "Suite": suite,
        "Codename": suite,
        "Architectures": arch,
        "Components": " ".join(components),
    }
    args = [a for k, v in opts.items() for a in ("-o", f"APT::FTPArchive::Release::{k}={v}")]
    (dists / "Release").write_text(_run("apt-ftparchive", *args, "release", ".", cwd=dists))
    sign = ("gpg", "--homedir", gpg_home, "--batch", "--yes")
    _run(*sign, "--clearsign", "-o", dists / "InRelease", dists / "Release")
    return dest


def build_dnf_archive(dest: Path, os_name: str, gpg_home: Path, fpr: str) -> dict[str, Path]:
    """Oracle Linux's BaseOS and AppStream as two dnf repositories under `dest`: repo id
    (ol<N>_baseos_latest, ol<N>_appstream) -> its directory."""
    n = os_name.rsplit("-", 1)[1]
    ids = {"baseos": f"ol{n}_baseos_latest", "appstream": f"ol{n}_appstream"}
    out = {}
    for repo, repo_id in ids.items():
        builds = [(p, p["version"]) for p in archive(os_name)["packages"] if p["repo"] == repo]
        out[repo_id] = _rpm_repo(dest / repo_id, builds, f"el{n}", gpg_home, fpr)
    if archive(os_name).get("modules"):
        _add_modules(out[ids["appstream"]], _archive_modules_yaml(archive(os_name), f"el{n}"))
    return out


def build_site_slurm_repo(dest: Path, dist: str, gpg_home: Path, fpr: str) -> Path:
    """A site's own EL repository of Slurm (SchedMD's spec) and munge: fact file `site_slurm`."""
    builds = [(p, p["version"]) for p in facts()["site_slurm"]["packages"]]
    return _rpm_repo(dest, builds, dist, gpg_home, fpr)


def _add_modules(repo: Path, text: str) -> None:
    """Put modules.yaml into a repository's repodata, as modifyrepo_c does for the real ones."""
    modules = repo / "modules.yaml"
    modules.write_text(text)
    _run("modifyrepo_c", "--mdtype=modules", modules, repo / "repodata")
    modules.unlink()


def tools_missing() -> list[str]:
    """The Debian tools these builders and the tests need that are not on PATH."""
    need = (
        "dpkg-deb",
        "apt-ftparchive",
        "apt-get",
        "rpmbuild",
        "createrepo_c",
        "modifyrepo_c",
        "dnf",
        "rpm",
        "gpg",
    )
    return [t for t in need if shutil.which(t) is None]
