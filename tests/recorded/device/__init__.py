"""Outputs recorded on a real GPU machine by `record_node.py` (see README.md here), and the
multi-GPU nodes the health tests derive from them.

The recordings are kept verbatim (first line ``# SOURCE:`` names machine, GPU, driver, kernel,
date). The one machine lent so far is a single NVIDIA H200 passed through to a VM, so an
8-GPU ``BM.GPU.H200.8`` node is *derived*: the recorded GPU block is repeated with the bus IDs
of an H200.8 (the `nvidia_smi_BM.GPU.H200.8_driver570.txt` fixture's layout), every other byte
as recorded. Each derivation asserts that what it replaces is there, so a new recording with a
different layout fails loudly instead of yielding an unchanged text.
"""

from __future__ import annotations

import re
from pathlib import Path

from bootstrap.facts.base import strip_provenance

DEVICE = Path(__file__).resolve().parent
H200_VM = DEVICE / "h200-vm"  # facts-dir layout: <node>/<kind>.txt
LOADED = DEVICE / "h200-vm-loaded"  # the same machine, GPU busy with bf16 matrix products
RECORDED_BUS = "00000000:00:06.0"
# BM.GPU.H200.8 GPU bus IDs, from the shared fixture nvidia_smi_BM.GPU.H200.8_driver570.txt.
H200_8_BUSES = ("0F", "2D", "44", "5B", "89", "A8", "C0", "D8")


def recorded(kind: str, node: Path = H200_VM) -> str:
    """The recorded stdout of fact `kind` (idle machine unless `node` says), provenance stripped."""
    return strip_provenance((node / f"{kind}.txt").read_text(encoding="utf-8"))


def swap(text: str, old: str, new: str, count: int = 1) -> str:
    """`text` with exactly `count` occurrences of `old` replaced (asserted, never a no-op)."""
    found = text.count(old)
    assert found == count, f"expected {count} x {old!r} in the recording, found {found}"
    return text.replace(old, new)


def bus(i: int) -> str:
    return f"00000000:{H200_8_BUSES[i]}:00.0"


def eight_gpu_xml(fault: dict[int, tuple[str, str]] | None = None, count: int = 1) -> str:
    """`nvidia-smi -q -x` of an 8-GPU H200 node from the recorded GPU block; `fault` maps a GPU
    index to an (old, new) substitution made in that GPU's block only, `count` times."""
    text = recorded("nvidia-smi-xml")
    start = text.index('<gpu id="')
    end = text.rindex("</gpu>") + len("</gpu>")
    block = text[start:end]
    blocks = []
    for i in range(8):
        b = swap(block, RECORDED_BUS, bus(i), count=2)  # <gpu id=...> and <pci_bus_id>
        b = swap(b, "<minor_number>0</minor_number>", f"<minor_number>{i}</minor_number>")
        b = swap(b, "<pci_bus>00</pci_bus>", f"<pci_bus>{H200_8_BUSES[i]}</pci_bus>")
        if fault and i in fault:
            b = swap(b, *fault[i], count=count)
        blocks.append(b)
    attached = "<attached_gpus>{}</attached_gpus>"
    head = swap(text[:start], attached.format(1), attached.format(8))
    return head + "\n\t".join(blocks) + text[end:]


_FABRIC = re.compile(r"(\n    Fabric\n        State +: )N/A(\n        Status +: )N/A")


def eight_gpu_fabric(registered: bool = True) -> str:
    """`nvidia-smi -q` of an 8-GPU H200 node from the recorded GPU block; with `registered`,
    each GPU's Fabric section says Completed/Success, as Fabric Manager leaves an HGX board."""
    text = recorded("fabric-manager")
    start = text.index(f"GPU {RECORDED_BUS}\n")
    head, block = text[:start], text[start:]
    if registered:
        block, n = _FABRIC.subn(r"\1Completed\2Success", block)
        assert n == 1, "the recorded Fabric section changed layout"
    blocks = [swap(block, RECORDED_BUS, bus(i), count=2) for i in range(8)]  # header, Bus Id
    head = swap(head, "Attached GPUs                                          : 1",
                "Attached GPUs                                          : 8")  # fmt: skip
    return head + "".join(b if b.endswith("\n") else b + "\n" for b in blocks)


def eight_gpu_power() -> str:
    """`nvidia-smi --query-gpu=index,power.limit,...` for 8 GPUs from the recorded line."""
    line = swap(recorded("gpu-power"), "0, 700.00, 700.00\n", "{i}, 700.00, 700.00\n")
    return "".join(line.format(i=i) for i in range(8))
