"""NVSwitch fabric state per GPU from ``nvidia-smi -q`` (fact `FabricStatus`).

``nvidia-smi -q`` prints, per GPU (R535+ layout)::

    GPU 00000000:0F:00.0
        Product Name                          : NVIDIA H200
        ...
        Fabric
            State                             : Completed
            Status                            : Success

On NVSwitch systems (HGX H100/H200/B200) a GPU joins the fabric only after Fabric Manager
registers it: State "Completed" + Status "Success" is healthy (oci-hpc check_gpu_setup.py
fabric-manager check, facts/oci.md §5.1). "N/A" (PCIe GPUs, no fabric) → None. Example::

    {"gpus": [{"bus_id": "00000000:0F:00.0", "state": "Completed", "status": "Success"}, ...]}

A GPU block without a "Fabric" section is kept with state/status None (older drivers); an
``Attached GPUs`` count that differs from the blocks found is a parse error (truncation), and so
is a GPU block without its ``Processes`` line, which nvidia-smi prints near the end of every GPU
(after Fabric; on driver 580.159.04 only ``Capabilities`` follows it: recording
tests/recorded/device/h200-vm/fabric-manager.txt). A cut after the last ``Processes`` line loses
nothing this fact reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bootstrap.facts.base import Fact, require_text
from bootstrap.facts.errors import FactParseError

KIND = "fabric-manager"
COMMAND = "timeout 30 nvidia-smi -q"
_ATTACHED = re.compile(r"^Attached GPUs\s*:\s*(?P<n>\d+)\s*$")
_GPU = re.compile(r"^GPU (?P<bus>[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-9A-Fa-f])\s*$")
_PROCESSES = re.compile(r"^    Processes(?:\s*:.*)?$")
_KV = re.compile(r"^(?P<indent>\s+)(?P<key>[^:]+?)\s*:\s*(?P<value>.*)$")


@dataclass(frozen=True)
class GpuFabric(Fact):
    bus_id: str
    state: str | None
    status: str | None

    @property
    def healthy(self) -> bool:
        return self.state == "Completed" and self.status == "Success"


@dataclass(frozen=True)
class FabricStatus(Fact):
    gpus: tuple[GpuFabric, ...]


def _value(value: str) -> str | None:
    value = value.strip()
    return None if value in ("", "N/A") else value


def parse(text: str) -> FabricStatus:
    require_text(KIND, text)
    attached: int | None = None
    blocks: list[dict[str, str | None]] = []
    in_fabric = False
    fabric_indent = 0
    for raw in text.splitlines():
        line = raw.rstrip()
        if m := _ATTACHED.match(line):
            attached = int(m["n"])
        elif m := _GPU.match(line):
            blocks.append({"bus_id": m["bus"], "state": None, "status": None, "end": None})
            in_fabric = False
        elif blocks and _PROCESSES.match(line):
            blocks[-1]["end"] = "Processes"
            in_fabric = False
        elif blocks and line.strip() == "Fabric":
            in_fabric, fabric_indent = True, len(line) - len(line.lstrip())
        elif in_fabric and (kv := _KV.match(line)):
            if len(kv["indent"]) <= fabric_indent:
                in_fabric = False
            elif kv["key"] in ("State", "Status"):
                blocks[-1][kv["key"].lower()] = _value(kv["value"])
        elif in_fabric and line.strip() and len(line) - len(line.lstrip()) <= fabric_indent:
            in_fabric = False
    if attached is None:
        raise FactParseError(KIND, "no 'Attached GPUs : N' line: not nvidia-smi -q output")
    if attached != len(blocks):
        raise FactParseError(KIND, f"'Attached GPUs' says {attached} but {len(blocks)} GPU blocks")
    cut = [str(b["bus_id"]) for b in blocks if b["end"] is None]
    if cut:
        raise FactParseError(KIND, f"GPU block {cut[0]} ends before its 'Processes' line (cut)")
    gpus = tuple(GpuFabric(str(b["bus_id"]), b["state"], b["status"]) for b in blocks)
    return FabricStatus(gpus=gpus)
