"""Keeps paramiko from importing `invoke`, which gpufleet never uses.

paramiko imports `invoke` (~35 ms of CPU with its asyncio and unittest.mock) only for
ssh_config's `Match exec`; gpufleet never reads an ssh_config through paramiko, yet every run
paid for it (client CPU per node, `benchmarks/fanout.py`). paramiko catches the ImportError
(`paramiko/config.py`) and raises it only if `Match exec` is used. Nothing is changed when
something imported `invoke` already.
"""

import sys

sys.modules.setdefault("invoke", None)  # type: ignore[arg-type]
