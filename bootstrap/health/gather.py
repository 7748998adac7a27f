"""One combined command per node that prints every needed fact between markers, and the pure
splitter that turns its stdout back into raw facts (parsed locally, never on the node).

Output layout (one block per fact key)::

    ::gpufleet-fact-begin ibdev2netdev::
    mlx5_0 port 1 ==> rdma0 (Up)
    ::gpufleet-fact-end ibdev2netdev rc=0::

A block without its end line is marked cut (a parse of it is never trusted). Per-interface
facts (``wpa-cli``) are gathered once per netdev of the shape's RDMA devices, found through
``/sys/class/infiniband/<dev>/device/net/``, under the key ``wpa-cli.<netdev>``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

from bootstrap.facts import dot1x
from bootstrap.facts.registry import FACTS
from bootstrap.health.nccl.mpirun import single_node_command
from bootstrap.health.node_facts import RawFact
from infra.shapes import Shape

BEGIN = "::gpufleet-fact-begin {key}::"
_BEGIN = re.compile(r"^::gpufleet-fact-begin (?P<key>[\w.:-]+)::$")
_END = re.compile(r"^::gpufleet-fact-end (?P<key>[\w.:-]+) rc=(?P<rc>\d+)::$")

_PRELUDE = """gf_fact() {
  printf '%s\\n' "::gpufleet-fact-begin $1::"
  sh -c "$2" </dev/null
  printf '\\n%s\\n' "::gpufleet-fact-end $1 rc=$?::"
}
"""


def command_for(kind: str, shape: Shape) -> str:
    if kind == "nccl-tests":
        return single_node_command(shape)
    return FACTS[kind].command


def _wpa_loop(shape: Shape) -> str:
    devices = " ".join(shlex.quote(d) for d in shape.rdma_devices)
    # The netdev reaches the inner `sh -c` through the environment, never through quoting.
    wpa = dot1x.COMMAND.format(interface='"$GF_IF"')
    return (
        f"for d in {devices}; do for p in /sys/class/infiniband/$d/device/net/*; do\n"
        f'  [ -e "$p" ] || continue; export GF_IF="${{p##*/}}"\n'
        f'  gf_fact "wpa-cli.$GF_IF" {shlex.quote(wpa)}\n'
        f"done; done\n"
    )


def combined_command(kinds: Iterable[str], shape: Shape) -> str:
    """A POSIX-sh script printing every fact of `kinds` between markers; never exits early."""
    lines = [_PRELUDE]
    for kind in kinds:
        if kind == "wpa-cli":
            lines.append(_wpa_loop(shape))
        else:
            lines.append(f"gf_fact {shlex.quote(kind)} {shlex.quote(command_for(kind, shape))}\n")
    lines.append("exit 0\n")
    return "".join(lines)


def split_output(stdout: str) -> dict[str, RawFact]:
    """Raw facts by key from the combined command's stdout; lines outside blocks are ignored."""
    facts: dict[str, RawFact] = {}
    key: str | None = None
    body: list[str] = []
    for line in stdout.splitlines():
        if key is None:
            if m := _BEGIN.match(line):
                key, body = m["key"], []
            continue
        end = _END.match(line)
        if end and end["key"] == key:
            facts[key] = RawFact("\n".join(body).rstrip("\n") + "\n", int(end["rc"]))
            key = None
        elif m := _BEGIN.match(line):  # a new block began: the previous one was cut
            facts[key] = RawFact("\n".join(body) + "\n", None, cut=True)
            key, body = m["key"], []
        else:
            body.append(line)
    if key is not None:
        facts[key] = RawFact("\n".join(body) + "\n", None, cut=True)
    return facts
