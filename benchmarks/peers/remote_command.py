"""The remote side of the benchmark workload, shared by the bare peers: an atomic upload over
stdin (temp file, size check, chmod 0700, rename), then the run.

`remote_command` is the plain form every peer can run (stdin ends after the script).
`supervised_command` is exactly what gpufleet's runner sends (`bootstrap.runner.jobs` and
`bootstrap.runner.remote_command`: the job under the node's lock in its own process group,
stdin kept open so the node can tell the client went away), so a peer running it does the
same node-side work and the comparison measures the client alone."""

from __future__ import annotations

import importlib.util
from pathlib import Path

# Loaded by file path, not `import bootstrap.runner...`: the package's __init__ would import
# the whole runner (rich, the CLI glue) and charge its start-up to the bare peer.
_SPEC = importlib.util.spec_from_file_location(
    "gpufleet_remote_command",
    Path(__file__).resolve().parents[2] / "bootstrap" / "runner" / "remote_command.py",
)
assert _SPEC is not None and _SPEC.loader is not None
_GPUFLEET = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_GPUFLEET)
supervised = _GPUFLEET.supervised


def remote_command(name: str, size: int) -> str:
    f = f".gpufleet/bench-{name}.sh"
    return (
        f"umask 077 && mkdir -p .gpufleet && cat > {f}.tmp && "
        f'[ "$(wc -c < {f}.tmp)" -eq {size} ] && chmod 700 {f}.tmp && mv -f {f}.tmp {f} && '
        # the same per-node deadline on the node as gpufleet's runner sets
        f"timeout -k 10 600 ./{f}; rc=$?; rm -f {f}; exit $rc"
    )


def supervised_command(name: str, size: int) -> str:
    f = f".gpufleet/bench-{name}.sh"
    upload = (
        f"umask 077 && mkdir -p .gpufleet && head -c {size} > {f}.tmp && "
        f'[ "$(wc -c < {f}.tmp)" -eq {size} ] && chmod 700 {f}.tmp && mv -f {f}.tmp {f} '
        "|| exit 97\n"
    )
    run = supervised([f], sudo="", seconds=600, lock_wait=20)
    return f"{upload}{run}\nrc=$?; rm -f {f}; exit $rc"
