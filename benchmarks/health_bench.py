"""`gpufleet health --facts-dir` over N healthy BM.GPU.H200.8 nodes: wall time, CPU and peak
memory of judging a fleet's collected facts (every check, the gate, the JSON report).

Each node's facts are the health tests' healthy H200 node, its GPU facts derived from the real
H200 recording (`tests/recorded/device`): 8 GPU blocks of real `nvidia-smi -q -x` output,
~350 KB per node. Files are hard links to one copy, so the folder costs no disk per node.

Peer, measured in the same run: a bare Python process that reads every node's files and parses
each node's XML with `xml.etree.ElementTree` (the floor of any judge of this output: reading
and parsing what dominates it, nothing checked).

Also `--source node-report`: each node holds only the verdict its own timer wrote (the real H200
report of `tests/recorded/device`, stamped now and made a pass, as a healthy node writes it:
~1.5 KB); its peer reads every file and `json.loads` it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.measure import Sample, run

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
GPUFLEET = str(Path(sys.executable).with_name("gpufleet"))
SIZES: tuple[int, ...] = (100, 1000)

PEER = """
import sys, xml.etree.ElementTree as ET
from pathlib import Path
for node in sorted(Path(sys.argv[1]).iterdir()):
    for f in sorted(node.iterdir()):
        data = f.read_bytes()
        if f.name == "nvidia-smi-xml.txt":
            ET.fromstring(data.split(b"\\n", 1)[1] if data.startswith(b"#") else data)
"""


PEER_REPORTS = """
import json, sys
from pathlib import Path
for node in sorted(Path(sys.argv[1]).iterdir()):
    json.loads((node / "node-report.txt").read_bytes())
"""


def report_files() -> dict[str, bytes]:
    from datetime import UTC, datetime

    doc = json.loads((ROOT / "tests/recorded/device/h200-vm.health.json").read_text())
    doc["checked_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    doc["verdict"], doc["errors"], doc["failing_checks"] = "pass", [], []  # a healthy node
    return {"node-report": json.dumps(doc, indent=2).encode()}


def node_files() -> dict[str, bytes]:
    sys.path.insert(0, str(ROOT))
    from tests.health.conftest import healthy_h200_files
    from tests.recorded.device import eight_gpu_fabric, eight_gpu_power, eight_gpu_xml

    files = {key: path.read_bytes() for key, path in healthy_h200_files().items()}
    files["nvidia-smi-xml"] = eight_gpu_xml().encode()
    files["fabric-manager"] = eight_gpu_fabric().encode()
    files["gpu-power"] = eight_gpu_power().encode()
    return files


def fleet(folder: Path, nodes: int, files: dict[str, bytes]) -> tuple[Path, Path]:
    template = folder / "template"
    template.mkdir()
    for key, data in files.items():
        (template / f"{key}.txt").write_bytes(data)
    facts = folder / "facts"
    members = []
    for i in range(nodes):
        name = f"gpu-{i:05d}"
        (facts / name).mkdir(parents=True)
        for f in template.iterdir():
            os.link(f, facts / name / f.name)
        host = f"10.{i // 62500}.{i // 250 % 250}.{i % 250 + 2}"
        members.append({"name": name, "host": host, "pool": "train", "shape": "BM.GPU.H200.8"})
    inventory = folder / "inventory.json"
    inventory.write_text(json.dumps({"ssh": {"user": "opc"}, "nodes": members}))
    return inventory, facts


def main(sizes: tuple[int, ...] = SIZES, repeat: int = 3) -> list[tuple[int, Sample, Sample]]:
    rows = []
    for source, files, label, peer_code, peer_label in (
        ("facts", node_files(), "health --facts-dir", PEER, "read + ElementTree"),
        ("node-report", report_files(), "health --source node-report", PEER_REPORTS,
         "read + json.loads"),
    ):  # fmt: skip
        for nodes in sizes:
            with tempfile.TemporaryDirectory(prefix="gpufleet-health-bench-") as tmp:
                inventory, facts = fleet(Path(tmp), nodes, files)
                argv = [GPUFLEET, "health", "--inventory", str(inventory), "--facts-dir",
                        str(facts), "--source", source, "--no-quarantine", "--json"]  # fmt: skip
                ours = run(f"{label} {nodes:,} nodes", argv, cwd=tmp, repeat=repeat)
                peer = run(peer_label, [PY, "-c", peer_code, str(facts)], cwd=tmp, repeat=repeat)
                rows.append((nodes, ours, peer))
    return rows


def report(rows: list[tuple[int, Sample, Sample]]) -> str:
    lines = [
        "| measurement | wall s | CPU s | ms CPU / node | peak RSS MB | peer | peer wall s "
        "| ratio |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for nodes, ours, peer in rows:
        lines.append(
            f"| {ours.label} | {ours.wall_s:.2f} | {ours.cpu_s:.2f} | "
            f"{ours.cpu_s / nodes * 1000:.1f} | {ours.peak_rss_mb:.0f} | {peer.label} | "
            f"{peer.wall_s:.2f} | {ours.wall_s / peer.wall_s:.2f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(main()))
