"""`python -m benchmarks [plan|fanout ...]`: run the benchmarks, print Markdown tables."""

from __future__ import annotations

import importlib
import platform
import sys
import time

SUITES = {"plan": "benchmarks.plan_bench"}


def main(argv: list[str]) -> None:
    names = argv or list(SUITES)
    print(f"# gpufleet benchmarks, {time.strftime('%Y-%m-%d')}, {platform.node()}, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    for name in names:
        module = importlib.import_module(SUITES[name])
        print(f"\n## {name}\n")
        print(module.report(module.main()))


if __name__ == "__main__":
    main(sys.argv[1:])
