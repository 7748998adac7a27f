"""`gpufleet plan --json` wall time and peak memory from 2 nodes to 12,500 nodes (100,000
GPUs), in cluster-network mode (one ClusterNetwork per 500 nodes) and compute-cluster mode (one
Instance per node), and `gpufleet --help` start-up, each against a peer measured in the same
run:

- plan peer: a bare Python process that only imports `pulumi` and loads `pulumi_oci.core`
  (the floor any Pulumi-for-OCI program pays before declaring anything);
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
PY = sys.executable


def stack_with_nodes(nodes: int, mode: str, folder: Path) -> Path:
    doc = yaml.safe_load(EXAMPLE.read_text())
    pool = {**doc["config"]["gpufleet:pools"][0], "nodes": nodes, "mode": mode}
    if mode == "cluster_network":
        pool["max_nodes_per_cluster_network"] = 500
    doc["config"]["gpufleet:pools"] = [pool]
    path = folder / f"Pulumi.bench-{nodes}-{mode}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def main(sizes: tuple[int, ...] = (2, 1024, 12_500)) -> list[tuple[Sample, Sample]]:
    pairs = []
    floor = run(
        "import pulumi + pulumi_oci.core",
        [PY, "-c", "import pulumi, pulumi_oci.core as c; c.Vcn"],
        cwd=str(ROOT),
    )
    with tempfile.TemporaryDirectory() as tmp:
        for nodes in sizes:
            path = stack_with_nodes(nodes, "cluster_network", Path(tmp))
            sample = run(
                f"plan --json {nodes} nodes ({nodes * 8:,} GPUs)",
                [PY, "-m", "bootstrap", "plan", "--json", "--stack-config", str(path)],
                cwd=str(ROOT),
            )
            pairs.append((sample, floor))
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
