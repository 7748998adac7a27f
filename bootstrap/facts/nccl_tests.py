"""Result of an ``all_reduce_perf`` run from nccl-tests (fact `NcclTestRun`).

Row layout (nccl-tests ``src/common.cu`` header; recorded oci-hpc 2×H100 fixture)::

    #  size  count  type  redop  root | time algbw busbw #wrong | time algbw busbw #wrong
      8589934592  2147483648  float  sum  -1  34280  250.58  469.84  0  34272  250.64  469.96  0

then ``# Out of bounds values : 0 OK`` and ``# Avg bus bandwidth    : 464.075``. The
"Avg bus bandwidth" line is printed last; without it the run is incomplete. If the output shows
an NCCL/test failure line the result is returned with ``completed=false`` and the lines in
``errors``; if it simply stops, that is a parse error (truncated). Busbw thresholds live in the
health layer (oci-hpc: 440 GB/s for H100/H200/B200, facts/oci.md §5.2; OKE: read the 8 GiB row).
Example::

    {"nccl_version": "2.23.4+cuda12.6", "avg_busbw_gbps": 464.075, "out_of_bounds": 0,
     "completed": true, "errors": [], "rows": [{"size_bytes": 1073741824, "type": "float",
     "redop": "sum", "oop_time_us": 4478.8, "oop_algbw_gbps": 239.74, "oop_busbw_gbps": 449.51,
     "oop_wrong": 0, "ip_time_us": 4463.7, …}, …]}
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bootstrap.facts.base import Fact, require_text
from bootstrap.facts.errors import FactParseError

KIND = "nccl-tests"
# oci-hpc active health check invocation (facts/oci.md §3.2); 8 local GPUs, one process.
COMMAND = "timeout 300 all_reduce_perf -b 1G -e 16G -f 2 -g 8 -n 50"

_ROW_START = re.compile(r"^\s*\d+\s+\d+\s+\S+")
_AVG = re.compile(r"^#\s*Avg bus bandwidth\s*:\s*(?P<v>\d+(?:\.\d+)?)\s*$")
_OOB = re.compile(r"^#\s*Out of bounds values\s*:\s*(?P<n>\d+)\s+(?:OK|FAILED)\s*$")
_VERSION = re.compile(r"NCCL version (?P<v>\S+)")
# nccl-tests prints " Test NCCL failure <file>:<line> '<msg>'" / " Test CUDA failure …" and
# NCCL itself "NCCL WARN …" before aborting.
_ERROR = re.compile(
    r"Test (?:NCCL|CUDA) failure|Test failure|NCCL WARN|\[\d+\] NCCL INFO .*error", re.I
)


@dataclass(frozen=True)
class NcclRow(Fact):
    size_bytes: int
    count: int
    type: str
    redop: str
    oop_time_us: float
    oop_algbw_gbps: float
    oop_busbw_gbps: float
    oop_wrong: int | None  # None when run with -c 0 ("N/A")
    ip_time_us: float
    ip_algbw_gbps: float
    ip_busbw_gbps: float
    ip_wrong: int | None


@dataclass(frozen=True)
class NcclTestRun(Fact):
    nccl_version: str | None
    rows: tuple[NcclRow, ...]
    avg_busbw_gbps: float | None
    out_of_bounds: int | None
    completed: bool
    errors: tuple[str, ...]

    def busbw_at(self, size_bytes: int) -> float | None:
        """Out-of-place busbw of the row for `size_bytes` (e.g. 8 GiB = 8589934592)."""
        return next((r.oop_busbw_gbps for r in self.rows if r.size_bytes == size_bytes), None)


def _wrong(value: str) -> int | None:
    if value == "N/A":
        return None
    return int(float(value))  # older nccl-tests print the error column as "0e+00"


def _row(number: int, line: str) -> NcclRow:
    fields = line.split()
    if len(fields) == 12:  # nccl-tests < 2.10 had no "root" column
        fields.insert(4, "-1")
    if len(fields) != 13:
        raise FactParseError(KIND, f"line {number}: result row has {len(fields)} fields, not 13")
    try:
        return NcclRow(
            size_bytes=int(fields[0]),
            count=int(fields[1]),
            type=fields[2],
            redop=fields[3],
            oop_time_us=float(fields[5]),
            oop_algbw_gbps=float(fields[6]),
            oop_busbw_gbps=float(fields[7]),
            oop_wrong=_wrong(fields[8]),
            ip_time_us=float(fields[9]),
            ip_algbw_gbps=float(fields[10]),
            ip_busbw_gbps=float(fields[11]),
            ip_wrong=_wrong(fields[12]),
        )
    except ValueError as exc:
        raise FactParseError(KIND, f"line {number}: bad number in result row: {exc}") from None


def parse(text: str) -> NcclTestRun:
    require_text(KIND, text)
    rows: list[NcclRow] = []
    errors: list[str] = []
    version = avg = oob = None
    for number, line in enumerate(text.splitlines(), start=1):
        if (m := _VERSION.search(line)) and version is None:
            version = m["v"]
        if m := _AVG.match(line):
            avg = float(m["v"])
        elif m := _OOB.match(line):
            oob = int(m["n"])
        elif _ERROR.search(line):
            errors.append(line.strip())
        elif _ROW_START.match(line) and not line.lstrip().startswith("#"):
            rows.append(_row(number, line))
    if avg is None:
        if errors:
            return NcclTestRun(version, tuple(rows), None, oob, False, tuple(errors))
        if not rows:
            raise FactParseError(KIND, "no result rows and no 'Avg bus bandwidth' line")
        raise FactParseError(KIND, "no 'Avg bus bandwidth' line: run output truncated")
    if not rows:
        raise FactParseError(KIND, "'Avg bus bandwidth' present but no result rows")
    return NcclTestRun(version, tuple(rows), avg, oob, not errors, tuple(errors))
