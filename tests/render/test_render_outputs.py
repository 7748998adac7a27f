"""Golden files, render_all + manifest, size cap, template safety, the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.render import RenderError, UserDataTooLarge, render_all, render_pool
from bootstrap.render import jinja as gfjinja
from bootstrap.render.engine import user_data_b64
from bootstrap.render.script import build_context, step_of
from tests.render.configs import config_with, container_software, example_raw, pool

GOLDEN = Path(__file__).parent / "golden"
# Regenerate with:  GPUFLEET_REGEN_GOLDEN=1 pytest tests/render -k golden
REGEN = os.environ.get("GPUFLEET_REGEN_GOLDEN") == "1"

GOLDEN_CASES = {
    # The example stack: 2 x H100, Ubuntu 22.04, venv training stack.
    "h100-ubuntu-22.04": lambda: config_with(pool("BM.GPU.H100.8", "ubuntu-22.04", name="h100")),
    # H200 on Oracle Linux 9 with a container training stack (dnf, podman).
    "h200-ol9-container": lambda: config_with(
        pool("BM.GPU.H200.8", "oracle-linux-9", name="h200"), software=container_software()
    ),
}


# The embedded health checker (a zipapp of bootstrap/facts, bootstrap/health and the shape
# catalog) changes with every edit there; tests/nodecheck pins it. The goldens pin the rest.
_CHECKER_LINES = re.compile(
    r"^(readonly GF_HEALTH_PYZ_B64=|readonly GF_HEALTH_SHA256="
    r"|\s*\[health_timer\]=(?=[0-9a-f]{64})).*$",
    re.M,
)


def _mask_checker(text: str) -> str:
    return _CHECKER_LINES.sub(lambda m: m.group(1) + "<checker: see tests/nodecheck>", text)


@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_golden(case: str):
    config = GOLDEN_CASES[case]()
    files = {n: _mask_checker(t) for n, t in render_pool(config, config.pools[0]).items()}
    folder = GOLDEN / case
    if REGEN:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text)
    for name, text in files.items():
        want = (folder / name).read_text()
        assert text == want, f"{case}/{name} differs; regenerate: GPUFLEET_REGEN_GOLDEN=1"


def test_render_all_writes_files_and_a_deterministic_manifest(tmp_path: Path):
    config = config_with(
        pool("BM.GPU.H100.8", "ubuntu-22.04", name="h100"),
        pool("BM.GPU.A100-v2.8", "oracle-linux-8", name="a100"),
    )
    first = render_all(config, tmp_path / "a")
    second = render_all(config, tmp_path / "b")
    assert first == second
    a = (tmp_path / "a/manifest.json").read_bytes()
    assert a == (tmp_path / "b/manifest.json").read_bytes()
    manifest = json.loads(a)
    assert sorted(manifest["files"]) == [
        f"{p}/{n}"
        for p in ("a100", "h100")
        for n in ("bootstrap.sh", "cloud-init.yaml", "nccl.conf")
    ]
    for rel, entry in manifest["files"].items():
        data = (tmp_path / "a" / rel).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    assert os.access(tmp_path / "a/h100/bootstrap.sh", os.X_OK)
    assert manifest["user_data"]["h100"]["base64_bytes"] < manifest["metadata_cap_bytes"]


def test_user_data_too_large_is_a_clear_error():
    # 3,000 incompressible pinned packages push even the gzip-compressed cloud-init past 32,000.
    pkgs = [f"p{hashlib.sha256(str(i).encode()).hexdigest()[:20]}==1.0" for i in range(3000)]
    sw = example_raw()["software"]
    sw["training"]["packages"] = pkgs
    config = config_with(pool("BM.GPU.H100.8", "ubuntu-22.04", name="big"), software=sw)
    with pytest.raises(UserDataTooLarge, match=r"pool 'big': cloud-init is \d+ bytes base64 even"):
        user_data_b64(config)


def test_a_template_cannot_print_an_unfiltered_value():
    env = gfjinja.environment()
    with pytest.raises(RenderError, match="without a safety filter"):
        env.from_string("echo {{ value }}").render(value="$(touch x)")
    assert env.from_string("echo {{ value|q }}").render(value="$(touch x)") == "echo '$(touch x)'"
    with pytest.raises(RenderError, match="not a plain config token"):
        env.from_string("{{ value|conf }}").render(value="a b")
    with pytest.raises(Exception, match="undefined"):
        env.from_string("{{ missing|q }}").render()


def test_cli_render_example(tmp_path: Path):
    result = CliRunner().invoke(cli, ["render", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "h100/bootstrap.sh").exists()
    assert "manifest.json: 3 files" in result.output


def test_cli_render_amd_pool_exits_2(tmp_path: Path):
    raw = example_raw()
    raw["pools"][0]["shape"] = "BM.GPU.MI300X.8"
    stack = tmp_path / "Pulumi.amd.yaml"
    import yaml

    stack.write_text(yaml.safe_dump({"config": {f"gpufleet:{k}": v for k, v in raw.items()}}))
    result = CliRunner().invoke(
        cli, ["render", "--stack-config", str(stack), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "gpufleet:pools[0].shape = 'BM.GPU.MI300X.8': gpufleet cannot bootstrap" in result.output
    assert "fix: use one of those shapes for this pool" in result.output
    assert not (tmp_path / "out").exists()


def test_cli_render_bad_config_exits_2(tmp_path: Path):
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_text("config:\n  gpufleet:pools: []\n")
    result = CliRunner().invoke(
        cli, ["render", "--stack-config", str(stack), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2


def test_gpu_power_step_renders_the_cap_or_is_disabled():
    plain = config_with(pool("BM.GPU.H100.8", "ubuntu-22.04"))
    ctx = build_context(plain, plain.pools[0])
    step = next(s for s in ctx["steps"] if s["name"] == "gpu_power")
    assert step["disabled"] == "no GPU power cap (pools[].gpu_power_cap_w is not set)"
    assert not any(f["step"] == "gpu_power" for f in ctx["files"])
    assert step_of(ctx, "gpu_power")["vars"]["cap_w"] == ""

    capped = config_with(pool("BM.GPU.H100.8", "ubuntu-22.04") | {"gpu_power_cap_w": 550})
    ctx = build_context(capped, capped.pools[0])
    steps = [s["name"] for s in ctx["steps"]]
    assert steps.index("nvidia_driver") + 1 == steps.index("gpu_power")
    [unit] = [f for f in ctx["files"] if f["step"] == "gpu_power"]
    assert unit["path"] == "/etc/systemd/system/gpufleet-gpu-power.service"
    assert "ExecStart=/usr/bin/nvidia-smi -pl 550\n" in unit["content"]
    assert {"step": "gpu_power", "unit": "gpufleet-gpu-power.service"} in ctx["units_on"]
    script = render_pool(capped, capped.pools[0])["bootstrap.sh"]
    assert "readonly GF_GPU_POWER_CAP_W=550\n" in script
    wrapper = next(f for f in ctx["files"] if f["path"] == "/usr/local/sbin/gpufleet-health")
    assert "--gpu-power-cap-w 550 --out" in wrapper["content"]
    # The cap is part of the step's stamp: changing it re-runs only gpu_power and health_timer.
    other = config_with(pool("BM.GPU.H100.8", "ubuntu-22.04") | {"gpu_power_cap_w": 600})
    a = {s["name"]: s["digest"] for s in ctx["steps"]}
    b = {s["name"]: s["digest"] for s in build_context(other, other.pools[0])["steps"]}
    assert sorted(k for k in a if a[k] != b[k]) == ["gpu_power", "health_timer"]


def test_goldens_hold_no_checker_bytes():
    """The mask covers the zipapp (base64 of a zip starts "UEsD") and both of its hashes."""
    for path in sorted(GOLDEN.glob("*/*")):
        text = path.read_text()
        assert "UEsD" not in text, path
        assert not re.search(r"\[health_timer\]=[0-9a-f]{64}", text), path
        assert not re.search(r"GF_HEALTH_SHA256=[0-9a-f]{64}", text), path


@pytest.mark.parametrize(
    ("torch", "cuda", "index"),
    [
        ("2.7.1", "12.8", "cu128"),
        ("2.7.1", "12.9", "cu128"),  # PyTorch 2.7 has no cu129 build (policy/compat.py)
        ("2.6.0", "12.5", "cu124"),  # the newest 2.6 build a 12.5 driver runs
    ],
)
def test_training_venv_uses_the_wheel_index_built_for_the_cuda(
    torch: str, cuda: str, index: str
) -> None:
    sw = example_raw()["software"] | {"cuda": cuda}
    sw["training"] = {"kind": "venv", "torch": torch}
    config = config_with(pool("BM.GPU.H100.8", "ubuntu-22.04", name="h100"), software=sw)
    script = render_pool(config, config.pools[0])["bootstrap.sh"]
    assert f"readonly GF_TORCH_INDEX=https://download.pytorch.org/whl/{index}\n" in script


def test_training_venv_without_a_wheel_for_the_cuda_is_a_render_error() -> None:
    sw = example_raw()["software"] | {"cuda": "12.4"}
    sw["training"] = {"kind": "venv", "torch": "2.8.0"}
    config = config_with(pool("BM.GPU.H100.8", "ubuntu-22.04", name="h100"), software=sw)
    with pytest.raises(RenderError, match=r"pool 'h100': software.training.torch = '2.8.0': "):
        render_pool(config, config.pools[0])
