"""Per-GPU power limits from ``nvidia-smi --query-gpu`` (fact `GpuPowerLimits`).

Format (``--format=csv,noheader,nounits``: one line per GPU, watts with two decimals; a value
the board does not report prints ``[N/A]`` or ``[Not Supported]``)::

    0, 500.00, 500.00

``power.limit`` is the limit software set (``nvidia-smi -pl``); ``enforced.power.limit`` is
what the board enforces (the lowest of all limiters), the value the pool's cap must show up in.
Example::

    {"gpus": [{"index": 0, "limit_w": 500.0, "enforced_w": 500.0}, ...]}

A line without its three fields (cut) or with a non-number that is not ``[N/A]`` is a parse
error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bootstrap.facts.base import Fact, is_prompt, require_text
from bootstrap.facts.errors import FactParseError

KIND = "gpu-power"
QUERY = "index,power.limit,enforced.power.limit"
COMMAND = f"timeout 30 nvidia-smi --query-gpu={QUERY} --format=csv,noheader,nounits"
# nvidia-smi prints watts with exactly two decimals ("700.00": recording
# tests/recorded/device/h200-vm/gpu-power.txt); "700.0" is a line cut mid-number.
_NUMBER = re.compile(r"^\d+\.\d\d$")
_UNREPORTED = ("[N/A]", "[Not Supported]", "N/A")


@dataclass(frozen=True)
class GpuPowerLimit(Fact):
    index: int
    limit_w: float | None
    enforced_w: float | None


@dataclass(frozen=True)
class GpuPowerLimits(Fact):
    gpus: tuple[GpuPowerLimit, ...]


def _watts(number: int, name: str, value: str) -> float | None:
    if value in _UNREPORTED:
        return None
    if not _NUMBER.match(value):
        raise FactParseError(KIND, f"line {number}: {name} {value!r} is not a number of watts")
    return float(value)


def parse(text: str) -> GpuPowerLimits:
    require_text(KIND, text)
    gpus: list[GpuPowerLimit] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or is_prompt(line):
            continue
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != 3 or not fields[0].isdigit():
            raise FactParseError(
                KIND, f"line {number}: {line!r} is not 'index, power.limit, enforced.power.limit'"
            )
        gpus.append(
            GpuPowerLimit(
                index=int(fields[0]),
                limit_w=_watts(number, "power.limit", fields[1]),
                enforced_w=_watts(number, "enforced.power.limit", fields[2]),
            )
        )
    if not gpus:
        raise FactParseError(KIND, "no GPU lines")
    indexes = [g.index for g in gpus]
    if len(set(indexes)) != len(indexes):
        raise FactParseError(KIND, f"GPU indexes repeat: {indexes}")
    return GpuPowerLimits(gpus=tuple(gpus))
