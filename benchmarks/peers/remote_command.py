"""The remote side of the benchmark workload, shared by the bare peers: the same atomic
upload over stdin (temp file, size check, chmod 0700, rename) and run that gpufleet does."""

from __future__ import annotations


def remote_command(name: str, size: int) -> str:
    f = f".gpufleet/bench-{name}.sh"
    return (
        f"umask 077 && mkdir -p .gpufleet && cat > {f}.tmp && "
        f'[ "$(wc -c < {f}.tmp)" -eq {size} ] && chmod 700 {f}.tmp && mv -f {f}.tmp {f} && '
        # the same per-node deadline on the node as gpufleet's runner sets
        f"timeout -k 10 600 ./{f}; rc=$?; rm -f {f}; exit $rc"
    )
