"""`python -m benchmarks [plan | health [--nodes N ...] | fanout [--nodes N ...]]`.

With no argument, all run: the plan suite and the health suite (Markdown tables on stdout), and
the SSH fan-out suite with its defaults (200 local sshd nodes; results also in
benchmarks/results/).
"""

from __future__ import annotations

import platform
import sys
import time


def plan() -> None:
    from benchmarks import plan_bench

    print("\n## plan\n")
    print(plan_bench.report(plan_bench.main()))


def health(args: list[str]) -> None:
    from benchmarks import health_bench

    sizes = tuple(int(a) for a in args[args.index("--nodes") + 1 :]) if "--nodes" in args else None
    print("\n## health\n", flush=True)
    print(health_bench.report(health_bench.main(sizes or health_bench.SIZES)))


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
    if suite in ("health", "all"):
        health(rest if suite == "health" else [])
    if suite in ("fanout", "all"):
        fanout(rest)
    if suite not in ("plan", "health", "fanout", "all"):
        sys.exit(f"unknown suite {suite!r}: use plan, health or fanout")


if __name__ == "__main__":
    main(sys.argv[1:])
