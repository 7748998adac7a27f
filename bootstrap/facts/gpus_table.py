"""Parser for the plain ``nvidia-smi`` table (R535+ layout, three rows per GPU).

Layout facts (from the recorded H200 fixture, driver 570.172.08)::

    | NVIDIA-SMI 570.172.08             Driver Version: 570.172.08     CUDA Version: 12.8     |
    |   0  NVIDIA H200                    On  |   00000000:0F:00.0 Off |                    0 |
    | N/A   32C    P0            120W /  700W |       0MiB / 143771MiB |      0%      Default |
    |                                         |                        |             Disabled |

The name column is truncated by nvidia-smi to its width (long names end in "..."). The output
always ends with the "Processes:" box; if its closing border is missing the output was cut off,
which is a parse error (a truncated table could silently drop GPUs).
"""

from __future__ import annotations

import re

from bootstrap.facts.base import require_text
from bootstrap.facts.errors import FactParseError
from bootstrap.facts.gpus import Gpu, GpuInventory

KIND = "nvidia-smi"

_HEADER = re.compile(
    r"^\|\s*NVIDIA-SMI\s+(?P<smi>\S+)\s+Driver Version:\s+(?P<driver>\S+)"
    r"(?:\s+CUDA Version:\s+(?P<cuda>\S+))?\s*\|$"
)
_ROW1 = re.compile(
    r"^\|\s*(?P<index>\d+)\s+(?P<name>.+?)\s+(?P<pers>On|Off)\s*\|"
    r"\s*(?P<bus>[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-9A-Fa-f])\s+(?P<disp>\S+)\s*\|"
    r"\s*(?P<ecc>\d+|N/A)\s*\|$"
)
_ROW2 = re.compile(
    r"^\|\s*(?P<fan>\S+)\s+(?P<temp>\d+C|N/A)\s+(?P<perf>P\d+|N/A)\s+"
    r"(?P<draw>\d+W|N/A)\s*/\s*(?P<cap>\d+W|N/A)\s*\|"
    r"\s*(?P<used>\d+)MiB\s*/\s*(?P<total>\d+)MiB\s*\|"
    r"\s*(?P<util>\d+%|N/A)\s+(?P<compute>\S.*?)\s*\|$"
)
_ROW3 = re.compile(r"^\|\s*\|\s*\|\s*(?P<mig>\S+)\s*\|$")
_BORDER = re.compile(r"^\+[-=+]+\+$")
_TABLE_START = re.compile(r"^\|=+\+=+\+=+\|$")


def _num(value: str, suffix: str = "") -> int | None:
    return None if value == "N/A" else int(value.removesuffix(suffix))


def parse_table(text: str) -> GpuInventory:
    """Parse the plain ``nvidia-smi`` table; shell-prompt lines around it are ignored."""
    require_text(KIND, text)
    lines = [line.rstrip() for line in text.splitlines()]
    header = next((m for m in map(_HEADER.match, lines) if m), None)
    if header is None:
        raise FactParseError(KIND, "no 'NVIDIA-SMI … Driver Version: …' header line")
    start = next((i for i, line in enumerate(lines) if _TABLE_START.match(line)), None)
    if start is None:
        raise FactParseError(KIND, "no GPU table ('|====…' separator) after the header")

    gpus: list[Gpu] = []
    block: list[str] = []
    i = start + 1
    while i < len(lines) and lines[i].startswith(("|", "+")):
        line = lines[i]
        if _BORDER.match(line):
            if block:
                gpus.append(_gpu_from_block(block, i))
            block = []
        else:
            block.append(line)
        i += 1
    if block:
        raise FactParseError(KIND, f"line {i}: GPU block not closed by a border (truncated)")
    if not gpus:
        raise FactParseError(KIND, "GPU table has no GPU rows")
    _require_processes_box(lines[i:])
    return GpuInventory(
        source_format="table",
        driver_version=header["driver"],
        cuda_version=header["cuda"],
        count=len(gpus),
        gpus=tuple(gpus),
    )


def _gpu_from_block(block: list[str], line_no: int) -> Gpu:
    if len(block) not in (2, 3):
        raise FactParseError(KIND, f"line {line_no}: GPU block has {len(block)} rows, expected 3")
    m1, m2 = _ROW1.match(block[0]), _ROW2.match(block[1])
    if not m1 or not m2:
        bad = block[0] if not m1 else block[1]
        raise FactParseError(KIND, f"near line {line_no}: unrecognised GPU row {bad.strip()!r}")
    m3 = _ROW3.match(block[2]) if len(block) == 3 else None
    if len(block) == 3 and not m3:
        raise FactParseError(KIND, f"near line {line_no}: unrecognised MIG row {block[2]!r}")
    draw, cap = _num(m2["draw"], "W"), _num(m2["cap"], "W")
    return Gpu(
        index=int(m1["index"]),
        name=m1["name"],
        bus_id=m1["bus"],
        persistence_mode=m1["pers"] == "On",
        ecc_volatile_uncorrected=_num(m1["ecc"]),
        temperature_c=_num(m2["temp"], "C"),
        performance_state=None if m2["perf"] == "N/A" else m2["perf"],
        power_draw_w=None if draw is None else float(draw),
        power_limit_w=None if cap is None else float(cap),
        memory_used_mib=int(m2["used"]),
        memory_total_mib=int(m2["total"]),
        utilization_percent=_num(m2["util"], "%"),
        compute_mode=m2["compute"],
        mig_mode=m3["mig"] if m3 else None,
    )


def _require_processes_box(rest: list[str]) -> None:
    """The table is complete only if the trailing 'Processes:' box is closed."""
    for j, line in enumerate(rest):
        if line.startswith("| Processes:"):
            if any(_BORDER.match(after) for after in rest[j + 1 :]):
                return
            break
    raise FactParseError(KIND, "output ends before the closed 'Processes:' box (truncated)")
