"""`python -m benchmarks [plan | fanout [--nodes N ...]]`: run the benchmarks.

With no argument, both run: the plan suite (Markdown table on stdout) and the SSH fan-out
suite with its defaults (200 local sshd nodes; results also in benchmarks/results/).
"""

from __future__ import annotations

import platform
import sys
import time


def plan() -> None:
    from benchmarks import plan_bench

    print("\n## plan\n")
    print(plan_bench.report(plan_bench.main()))


def fanout(args: list[str]) -> None:
    from benchmarks import fanout as fanout_bench

    print("\n## fanout\n", flush=True)
    sys.argv = ["benchmarks/fanout.py", *args]
    fanout_bench.main()


def main(argv: list[str]) -> None:
    print(
        f"# gpufleet benchmarks, {time.strftime('%Y-%m-%d')}, {platform.node()}, "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}",
        flush=True,
    )
    suite, rest = (argv[0], argv[1:]) if argv else ("all", [])
    if suite in ("plan", "all"):
        plan()
    if suite in ("fanout", "all"):
        fanout(rest)
    if suite not in ("plan", "fanout", "all"):
        sys.exit(f"unknown suite {suite!r}: use plan or fanout")


if __name__ == "__main__":
    main(sys.argv[1:])
