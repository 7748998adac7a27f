# ruff: noqa: E501  (the fakes are bash: long lines are clearer than wrapped ones)
"""Recorded-output fakes for the OS tools the bootstrap script drives.

Each fake is a small bash script written into a tmp bin dir that is first (and, with a few
symlinked coreutils, only) on PATH. A fake logs its call to $FAKE_STATE/calls.log, keeps its
state under $FAKE_STATE (packages, units, loaded driver) or in the sandbox root $GF_ROOT (sysfs,
/proc/mounts), and refuses any arguments it was not written for (exit 97). A package manager
only "installs" specs listed in $FAKE_STATE/repo (spec name installed-version [driver]).
$FAKE_STATE/fail/<tool> holding a number makes that tool exit with it.
"""

from __future__ import annotations

import os
from pathlib import Path

# Real tools the script and the fakes may use; nothing else is reachable on PATH.
REAL_TOOLS = (
    "bash",
    "env",
    "cat",
    "mkdir",
    "mv",
    "rm",
    "chmod",
    "touch",
    "stat",
    "tee",
    "date",
    "awk",
    "grep",
    "sleep",
    "flock",
    "sed",
    "basename",
    "dirname",
    "cp",
    "ln",
    "readlink",
    "tr",
    "cut",
    "head",
    "sort",
    # health_timer: decode and verify the embedded health checker
    "base64",
    "sha256sum",
)

PRELUDE = r"""#!/bin/bash
set -u
S=$FAKE_STATE
R=$GF_ROOT
ME=${0##*/}
echo "$ME $*" >>"$S/calls.log"
refuse() { echo "fake $ME: unexpected arguments: $*" >&2; exit 97; }
if [[ -f $S/fail/$ME ]]; then
  echo "fake $ME: failing on purpose" >&2
  exit "$(<"$S/fail/$ME")"
fi
"""

# Shared by dnf and apt-get: install each spec listed in the recorded repo.
INSTALL = r"""
install_specs() {
  local spec line name ver flag
  for spec in "$@"; do
    line=$(awk -v s="$spec" '$1 == s' "$S/repo")
    [[ -n $line ]] || { echo "No match for argument: $spec" >&2; exit 100; }
    read -r _ name ver flag <<<"$line"
    mkdir -p "$S/pkgs"
    printf '%s\n' "$ver" >"$S/pkgs/$name"
    if [[ ${flag:-} == driver ]]; then
      v=${ver#*:}
      printf '%s\n' "${v%%-*}" >"$S/driver_installed"
      # A kernel module already loaded stays loaded until a reboot; with none, the new one loads.
      [[ -f $S/driver_loaded ]] || printf '%s\n' "${v%%-*}" >"$S/driver_loaded"
    fi
  done
}
"""

FAKES: dict[str, str] = {
    "nvidia-smi": r"""
need_driver() {
  if [[ ! -f $S/driver_loaded ]]; then
    echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."
    exit 9
  fi
  # New user-space libraries over an old kernel module (github.com/anderskm/gputil issue 55).
  if [[ -f $S/driver_installed && $(<"$S/driver_installed") != "$(<"$S/driver_loaded")" ]]; then
    v=$(<"$S/driver_installed")
    printf 'Failed to initialize NVML: Driver/library version mismatch\nNVML library version: %s\n' "${v%.*}"
    exit 18
  fi
}
# Power limits: $S/power/<index> (watts, two decimals); the board default until -pl sets one.
# -pl accepts only whole watts within [FAKE_POWER_MIN_W, board default], as the real one does.
gpus() { seq 0 $(( ${FAKE_GPUS:-8} - 1 )); }
limit() { cat "$S/power/$1" 2>/dev/null || echo "${FAKE_POWER_MAX_W:-700}.00"; }
case "$*" in
  "--query-gpu=driver_version --format=csv,noheader")
    need_driver
    for _ in $(gpus); do cat "$S/driver_loaded"; done ;;
  "--query-gpu=index,enforced.power.limit --format=csv,noheader,nounits")
    need_driver
    for i in $(gpus); do printf '%s, %s\n' "$i" "$(limit "$i")"; done ;;
  "-pl "*)
    [[ $# == 2 && $2 =~ ^[0-9]+$ ]] || refuse "$@"
    need_driver
    if (( $2 < ${FAKE_POWER_MIN_W:-200} || $2 > ${FAKE_POWER_MAX_W:-700} )); then
      echo "Provided power limit $2.00 W is not a valid power limit which should be between ${FAKE_POWER_MIN_W:-200}.00 W and ${FAKE_POWER_MAX_W:-700}.00 W for GPU 00000000:0F:00.0"
      exit 2
    fi
    mkdir -p "$S/power"
    for i in $(gpus); do
      echo "Power limit for GPU $i was set to $2.00 W from $(limit "$i") W."
      echo "$2.00" >"$S/power/$i"
    done
    echo "All done." ;;
  *) refuse "$@" ;;
esac
""",
    "dnf": INSTALL
    + r"""
if [[ "$*" == "-y module enable nvidia-driver:"*-open && $# == 4 ]]; then exit 0; fi
[[ ${1:-} == -y && ${2:-} == install && $# -ge 3 ]] || refuse "$@"
shift 2
install_specs "$@"
""",
    "rpm": r"""
[[ $# == 5 && $1 == -q && $2 == --qf && $3 == '%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n' && $4 == -- ]] || refuse "$@"
if [[ -f $S/pkgs/$5 ]]; then cat "$S/pkgs/$5"; else echo "package $5 is not installed"; exit 1; fi
""",
    "apt-get": INSTALL
    + r"""
[[ ${1:-} == -o && ${2:-} == DPkg::Lock::Timeout=600 ]] || refuse "$@"
case "${3:-}" in
  update) [[ $# == 3 ]] || refuse "$@" ;;
  install)
    [[ ${4:-} == -y && ${5:-} == --allow-downgrades && $# -ge 6 ]] || refuse "$@"
    [[ ${DEBIAN_FRONTEND:-} == noninteractive ]] || refuse "$@"
    shift 5
    install_specs "$@" ;;
  *) refuse "$@" ;;
esac
""",
    "dpkg-query": r"""
[[ $# == 5 && $1 == -W && $2 == -f && $3 == '${Status}|${Version}\n' && $4 == -- ]] || refuse "$@"
if [[ -f $S/pkgs/$5 ]]; then echo "install ok installed|$(cat "$S/pkgs/$5")"
else echo "dpkg-query: no packages found matching $5" >&2; exit 1; fi
""",
    "systemctl": r"""
mkdir -p "$S/units"
case "$1 ${2:-}" in
  "is-enabled --quiet") [[ $# == 3 ]] || refuse "$@"; [[ -f $S/units/$3.enabled ]] ;;
  "is-active --quiet") [[ $# == 3 ]] || refuse "$@"; [[ -f $S/units/$3.active ]] ;;
  "enable --now") [[ $# == 3 ]] || refuse "$@"; touch "$S/units/$3.enabled" "$S/units/$3.active" ;;
  "disable --now") [[ $# == 3 ]] || refuse "$@"; rm -f "$S/units/$3.enabled" "$S/units/$3.active" ;;
  "daemon-reload ") [[ $# == 1 ]] || refuse "$@" ;;
  "enable gpufleet-bootstrap-resume.service") [[ $# == 2 ]] || refuse "$@"; touch "$S/units/$2.enabled" ;;
  "restart docker") [[ $# == 2 ]] || refuse "$@" ;;
  *) refuse "$@" ;;
esac
""",
    "mdadm": r"""
[[ $1 == --create && $2 == /dev/md0 && $3 == --level=0 && $4 == --raid-devices=* && $5 == --run ]] \
  || refuse "$@"
shift 5
members=""
i=0
for d in "$@"; do [[ $d == /dev/nvme*n1 ]] || refuse "$d"; members+=" ${d#/dev/}[$i]"; i=$((i+1)); done
printf 'Personalities : [raid0]\nmd0 : active raid0%s\n' "$members" >"$R/proc/mdstat"
""",
    "blkid": r"""
case "$*" in
  "-o value -s TYPE -- /dev/md0") if [[ -f $S/fs_md0 ]]; then cat "$S/fs_md0"; else exit 2; fi ;;
  # The labelled RAID: /dev/md0 once mkfs.xfs ran, or where $S/md_name says it came back.
  "-L localdisk")
    [[ -f $S/fs_md0 && $(<"$S/fs_md0") == xfs ]] || exit 2  # only mkfs.xfs -L localdisk labels it
    cat "$S/md_name" 2>/dev/null || echo /dev/md0 ;;
  *) refuse "$@" ;;
esac
""",
    "mkfs.xfs": r"""
[[ "$*" == "-f -L localdisk /dev/md0" ]] || refuse "$@"
echo xfs >"$S/fs_md0"
""",
    "mount": r"""
[[ $# == 6 && $1 == -t && $3 == -o && $6 == "$R"/* ]] || refuse "$@"
echo "$5 ${6#"$R"} $2 $4 0 0" >>"$R/proc/mounts"
""",
    "modprobe": r"""
[[ "$*" == nvidia_peermem ]] || refuse "$@"
mkdir -p "$R/sys/module/nvidia_peermem"
""",
    "sysctl": r"""
[[ $# == 3 && $1 == -e && $2 == -p && $3 == "$R/etc/sysctl.d/80-gpufleet.conf" ]] || refuse "$@"
while IFS= read -r line; do
  [[ $line == \#* || -z $line ]] && continue
  key=${line%% = *}; val=${line#* = }
  f=$R/proc/sys/${key//.//}
  if [[ -d $(dirname "$f") ]]; then printf '%s\n' "$val" >"$f"; fi
done <"$3"
""",
    "ip": r"""
case "$*" in
  "-o -4 addr show dev "*)
    [[ $# == 6 ]] || refuse "$@"
    if [[ -f $S/ip/$6 ]]; then echo "7: $6    inet $(cat "$S/ip/$6")/16 brd 10.239.255.255 scope global $6"; fi ;;
  "link set dev "*" mtu "*)
    [[ $# == 6 && -d $R/sys/class/net/$4 ]] || refuse "$@"
    echo "$6" >"$R/sys/class/net/$4/mtu" ;;
  *) refuse "$@" ;;
esac
""",
    "wpa_cli": r"""
[[ $# == 3 && $1 == -i && $3 == status ]] || refuse "$@"
if [[ -f $S/auth/$2 ]]; then
  # recorded: wpa_cli_status_rdma_8021x_authenticated.txt
  printf 'wpa_state=COMPLETED\nSupplicant PAE state=AUTHENTICATED\nEAP state=SUCCESS\n'
else
  printf 'wpa_state=ASSOCIATED\nSupplicant PAE state=CONNECTING\nEAP state=IDLE\n'
fi
""",
    "ofed_info": r"""
[[ "$*" == -s ]] || refuse "$@"
[[ -f $S/ofed ]] || { echo "ofed_info: command not found" >&2; exit 127; }
echo "OFED-internal-25.01-0.6.0:"
""",
    "git": r"""
[[ $# == 9 && $1 == clone && $2 == --quiet && $3 == --depth && $4 == 1 && $5 == --branch \
   && $7 == -- && $8 == https://github.com/NVIDIA/nccl-tests.git ]] || refuse "$@"
mkdir -p "$9" && echo "$6" >"$9/TAG"
""",
    "make": r"""
[[ $# == 7 && $1 == -C && $3 == MPI=1 && $4 == MPI_HOME=/* && $5 == CUDA_HOME=/usr/local/cuda-* \
   && $6 == NCCL_HOME=/usr && $7 == BUILDDIR=* ]] || refuse "$@"
[[ -f $2/TAG ]] || { echo "make: *** No targets specified and no makefile found." >&2; exit 2; }
# nccl-tests reads $(MPI_HOME)/include and $(MPI_HOME)/lib: record where they lead.
m=${4#MPI_HOME=}
[[ -L $m/include && -L $m/lib ]] || { echo "fatal error: mpi.h: No such file or directory" >&2; exit 2; }
printf 'include=%s lib=%s LD_RUN_PATH=%s\n' "$(readlink "$m/include")" "$(readlink "$m/lib")" "${LD_RUN_PATH:-}" >"$S/mpi_build"
b=${7#BUILDDIR=}; mkdir -p "$b"
printf '#!/bin/sh\necho all_reduce_perf\n' >"$b/all_reduce_perf"; chmod +x "$b/all_reduce_perf"
""",
    "nvidia-ctk": r"""
case "$1 ${2:-}" in
  "runtime configure")
    [[ $# == 4 && $3 == --runtime=docker && $4 == --config=* ]] || refuse "$@"
    f=${4#--config=}; mkdir -p "$(dirname "$f")"
    echo '{"runtimes": {"nvidia": {"path": "nvidia-container-runtime"}}}' >"$f" ;;
  "cdi generate")
    [[ $# == 3 && $3 == --output=* ]] || refuse "$@"
    f=${3#--output=}; mkdir -p "$(dirname "$f")"; echo "cdiVersion: 0.5.0" >"$f" ;;
  *) refuse "$@" ;;
esac
""",
    "shutdown": r"""
[[ $# == 3 && $1 == -r && $2 == +1 && $3 == "gpufleet: reboot for "* ]] || refuse "$@"
echo "$3" >"$S/reboot_scheduled"
""",
    "df": r"""
[[ $# == 3 && $1 == -Pk && $2 == -- ]] || refuse "$@"
echo "Filesystem     1024-blocks      Used Available Capacity Mounted on"
echo "/dev/sda3        262144000  31457280 $(cat "$S/df_avail_kb" 2>/dev/null || echo 230686720)      13% /"
""",
    "curl": r"""
# Only loopback may be reached from tests: anything else is refused, never forwarded.
url=${!#}
[[ $url == http://127.0.0.1:* ]] || refuse "$@"
exec /usr/bin/curl "$@"
""",
}

VENV_PYTHON = r"""
[[ $# == 3 && $1 == -m && $2 == venv ]] || refuse "$@"
mkdir -p "$3/bin"
printf '#!/bin/bash\nexit 0\n' >"$3/bin/python"
cat >"$3/bin/pip" <<'PIP'
#!/bin/bash
echo "pip $*" >>"$FAKE_STATE/calls.log"
[[ $1 == install && $2 == --no-input && $3 == --disable-pip-version-check ]] || {
  echo "fake pip: unexpected arguments: $*" >&2; exit 97; }
shift 3
for a in "$@"; do
  case $a in
    --index-url|https://download.pytorch.org/whl/cu*) ;;
    *==*) echo "$a" >>"$(dirname "$0")/../installed.txt" ;;
    *) echo "fake pip: unexpected argument $a" >&2; exit 97 ;;
  esac
done
PIP
chmod +x "$3/bin/python" "$3/bin/pip"
"""

CONTAINER_ENGINE = r"""
case "$1 ${2:-}" in
  "image inspect") [[ $# == 3 ]] || refuse "$@"; grep -qxF -- "$3" "$S/images" 2>/dev/null ;;
  "pull "*) [[ $# == 2 ]] || refuse "$@"; echo "$2" >>"$S/images" ;;
  *) refuse "$@" ;;
esac
"""


def install(bin_dir: Path) -> None:
    """Write every fake plus symlinks to the allowed real tools into `bin_dir`."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    bodies = dict(FAKES)
    bodies["python3"] = bodies["python3.11"] = VENV_PYTHON
    bodies["docker"] = bodies["podman"] = CONTAINER_ENGINE
    for name, body in bodies.items():
        path = bin_dir / name
        path.write_text(PRELUDE + body)
        path.chmod(0o755)
    for tool in (*REAL_TOOLS, "seq"):
        for folder in ("/usr/bin", "/bin"):
            real = Path(folder) / tool
            if real.exists():
                os.symlink(real, bin_dir / tool)
                break
