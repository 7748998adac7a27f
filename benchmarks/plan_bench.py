"""`gpufleet plan --json` wall time and peak memory from 2 nodes to 12,500 nodes (100,000
GPUs), in cluster-network mode (one ClusterNetwork per 500 nodes) and compute-cluster mode (one
Instance per node); `gpufleet render` of the 100k-GPU stack; `gpufleet --help` start-up. Each
against a peer measured in the same run:

- plan peer: a bare Python process that only imports `pulumi` and loads `pulumi_oci.core`
  (the floor any Pulumi-for-OCI program pays before declaring anything);
- render peer: rendering the 2-node example (rendering grows with pools, not nodes);
- --help peer: `python -c pass` (the interpreter's own start-up).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml

from benchmarks.measure import Sample, run

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "Pulumi.example.yaml"
STACK_100K = ROOT / "examples" / "Pulumi.100k-h100.yaml"
PY = sys.executable

# (nodes, mode): 16, 1k, 8k, 10k and 100k GPUs
SIZES: tuple[tuple[int, str], ...] = (
    (2, "cluster_network"),
    (125, "cluster_network"),
    (1024, "cluster_network"),
    (1250, "cluster_network"),
    (12_500, "cluster_network"),
    (125, "compute_cluster"),
    (1250, "compute_cluster"),
    (12_500, "compute_cluster"),
)


def stack_with_nodes(nodes: int, mode: str, folder: Path) -> Path:
    doc = yaml.safe_load(EXAMPLE.read_text())
    pool = {**doc["config"]["gpufleet:pools"][0], "nodes": nodes, "mode": mode}
    if mode == "cluster_network":
        pool["max_nodes_per_cluster_network"] = 500
    doc["config"]["gpufleet:pools"] = [pool]
    path = folder / f"Pulumi.bench-{nodes}-{mode}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def main(sizes: tuple[tuple[int, str], ...] = SIZES) -> list[tuple[Sample, Sample]]:
    pairs = []
    floor = run(
        "import pulumi + pulumi_oci.core",
        [PY, "-c", "import pulumi, pulumi_oci.core as c; c.Vcn"],
        cwd=str(ROOT),
    )
    with tempfile.TemporaryDirectory() as tmp:
        for nodes, mode in sizes:
            path = stack_with_nodes(nodes, mode, Path(tmp))
            slow = mode == "compute_cluster" and nodes > 2000
            sample = run(
                f"plan --json {nodes:,} nodes ({nodes * 8:,} GPUs) {mode}",
                [PY, "-m", "bootstrap", "plan", "--json", "--stack-config", str(path)],
                cwd=str(ROOT),
                repeat=1 if slow else 3,
            )
            pairs.append((sample, floor))
    with tempfile.TemporaryDirectory() as tmp:
        small = run(
            "render 2-node example",
            [PY, "-m", "bootstrap", "render", "--out", f"{tmp}/small"],
            cwd=str(ROOT),
        )
        big = run(
            "render 100k-GPU stack (examples/Pulumi.100k-h100.yaml)",
            [
                PY,
                "-m",
                "bootstrap",
                "render",
                "--stack-config",
                str(STACK_100K),
                "--out",
                f"{tmp}/big",
            ],
            cwd=str(ROOT),
        )
        pairs.append((big, small))
    pairs.append(
        (
            run("gpufleet --help", [PY, "-m", "bootstrap", "--help"], cwd=str(ROOT)),
            run("python -c pass", [PY, "-c", "pass"]),
        )
    )
    return pairs


def report(pairs: list[tuple[Sample, Sample]]) -> str:
    lines = [
        "| measurement | wall s | CPU s | peak RSS MB | peer | peer wall s | ratio |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for s, peer in pairs:
        lines.append(
            f"| {s.label} | {s.wall_s:.2f} | {s.cpu_s:.2f} | {s.peak_rss_mb:.0f} | "
            f"{peer.label} | {peer.wall_s:.2f} | {s.wall_s / peer.wall_s:.2f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(main()))
