"""Nodes for health tests, assembled from real recorded outputs (shared/fixtures), the fact
tests' derived cases (tests/facts/cases) and our derived cases (tests/health/cases, each with a
`# DERIVED` first line naming its origin)."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bootstrap.health.node_facts import NodeFacts, RawFact
from infra.shapes import CATALOG, Shape

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
from tests.recorded import RECORDED as SHARED  # noqa: E402

FACT_CASES = TESTS / "facts" / "cases"
CASES = HERE / "cases"

H200 = CATALOG["BM.GPU.H200.8"]
H100 = CATALOG["BM.GPU.H100.8"]


def shared(name: str) -> Path:
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"recorded fixture {path} not present (needs shared/ beside the repo)")
    return path


def fact_case(name: str) -> Path:
    return FACT_CASES / name


def case(name: str) -> Path:
    return CASES / name


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def two_gpu(shape: Shape = H200) -> Shape:
    """The shape with 2 GPUs: for the 2-GPU hand-written XML cases."""
    return replace(shape, gpu_count=2)


def healthy_h200_files() -> dict[str, Path]:
    """Fact key -> file for a healthy BM.GPU.H200.8 node."""
    files = {
        "nvidia-smi-xml": case("nvidia_smi_q_x_H200_8gpus.xml"),
        "fabric-manager": case("nvidia_smi_q_fabric_H200_8gpus.txt"),
        "ibdev2netdev": case("ibdev2netdev_H200.txt"),
        "ip-addr": case("ip_j_addr_H200_rdma.json"),
        "imds-instance": case("imds_instance_H200.json"),
        "imds-host": shared("imds_v2_host.json"),
        "xid": fact_case("xid_none.txt"),
        "oca-rdma": fact_case("oca_rdma_completed_handwritten.json"),
        "mounts": fact_case("findmnt_J_gpu_node_handwritten.json"),
        "nvlink": case("nvlink_H200.txt"),
        "ibv-devinfo": case("ibv_devinfo_v_H200.txt"),
        "oca-version": case("oca_version_OL9.txt"),
        "gpu-power": case("gpu_power_H200.txt"),
    }
    for i in range(8):
        files[f"wpa-cli.rdma{i}"] = shared("wpa_cli_status_rdma_8021x_authenticated.txt")
    return files


def node_facts(files: dict[str, Path], **overrides: Path | str | None) -> NodeFacts:
    """NodeFacts from files; an override maps key -> other file, literal text, or None (drop)."""
    raw: dict[str, RawFact] = {k: RawFact(read(p)) for k, p in files.items()}
    for key, value in overrides.items():
        key = key.replace("_", "-")
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = RawFact(read(value) if isinstance(value, Path) else value)
    return NodeFacts("gpu-1", raw)


def write_node(root: Path, name: str, files: dict[str, Path], **texts: str) -> Path:
    """DIR/<name>/<key>.txt as `gpufleet health --facts-dir` reads it."""
    folder = root / name
    folder.mkdir(parents=True)
    for key, path in files.items():
        shutil.copyfile(path, folder / f"{key}.txt")
    for key, text in texts.items():
        (folder / f"{key}.txt").write_text(text)
    return folder


def with_avg(text: str, avg: float) -> str:
    """nccl-tests output with its 'Avg bus bandwidth' changed (a derived slow run)."""
    return re.sub(r"(# Avg bus bandwidth\s*:\s*)[\d.]+", rf"\g<1>{avg}", text)


def inventory(path: Path, nodes: list[tuple[str, str]], shape: str = H200.name) -> Path:
    doc = {
        "ssh": {"user": "opc"},
        "nodes": [
            {"name": name, "host": f"10.0.0.{i + 10}", "pool": pool, "shape": shape}
            for i, (name, pool) in enumerate(nodes)
        ],
    }
    path.write_text(json.dumps(doc))
    return path
