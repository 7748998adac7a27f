"""What the render gives the health timer: the interval, the first-boot copy without the
checker, and user_data that still fits OCI's metadata cap for every shape."""

from __future__ import annotations

import base64
import gzip
import itertools
import re

import pytest
import yaml

from bootstrap.render import METADATA_CAP_BYTES, render_pool, user_data_b64
from bootstrap.render.engine import first_boot_script, without_code_comments
from bootstrap.render.script import build_context, step_of
from infra.config import ConfigError
from infra.shapes import ALL_OS, CATALOG
from tests.render.configs import config_with, pool

H100 = pool("BM.GPU.H100.8", "ubuntu-22.04", name="h100")


def timer_of(ctx: dict) -> str:
    return next(f["content"] for f in ctx["files"] if f["path"].endswith("gpufleet-health.timer"))


def test_timer_interval_defaults_to_five_minutes():
    config = config_with(H100)
    ctx = build_context(config, config.pools[0])
    assert "OnUnitActiveSec=5min\n" in timer_of(ctx)
    assert step_of(ctx, "health_timer")["vars"]["interval_min"] == 5


def _software(**changes: object) -> dict:
    from tests.render.configs import example_raw

    return {**example_raw()["software"], **changes}


def test_timer_interval_comes_from_the_stack_config():
    config = config_with(H100, software=_software(health_interval_minutes=15))
    ctx = build_context(config, config.pools[0])
    assert "OnUnitActiveSec=15min\n" in timer_of(ctx)
    script = render_pool(config, config.pools[0])["bootstrap.sh"]
    assert "readonly GF_HEALTH_INTERVAL=15\n" in script
    # A new interval is a new desired state: the step's stamp changes with it.
    other = build_context(config_with(H100), config.pools[0])
    digest = {s["name"]: s["digest"] for s in ctx["steps"]}
    assert (
        digest["health_timer"] != {s["name"]: s["digest"] for s in other["steps"]}["health_timer"]
    )


@pytest.mark.parametrize("bad", [0, -5, "5m", 1441, " ", "$(reboot)"])
def test_bad_interval_is_a_config_error_naming_the_key(bad: object):
    with pytest.raises(ConfigError, match=r"gpufleet:software\.health_interval_minutes"):
        config_with(H100, software=_software(health_interval_minutes=bad))


def test_cloud_init_carries_the_first_boot_copy_without_the_checker():
    config = config_with(H100)
    p = config.pools[0]
    files = render_pool(config, p)
    first = first_boot_script(config, p)
    doc = yaml.safe_load(files["cloud-init.yaml"])
    assert doc["write_files"][0]["content"] == first
    assert "readonly GF_HEALTH_PYZ_B64=''\n" in first and "readonly GF_HEALTH_SHA256=''\n" in first
    # Otherwise the same script, less the code's comments: only the checker lines and the
    # health_timer stamp differ.
    full = without_code_comments(files["bootstrap.sh"]).splitlines()
    lines = first.splitlines()
    assert len(full) == len(lines)
    differ = [a for a, b in zip(full, lines, strict=True) if a != b]
    assert [re.sub(r"=.*", "", d).strip() for d in differ] == [
        "[health_timer]",
        "readonly GF_HEALTH_SHA256",
        "readonly GF_HEALTH_PYZ_B64",
    ]


SUPPORTED = [
    (shape, os)
    for shape in sorted(CATALOG)
    for os in ALL_OS
    if CATALOG[shape].gpu_vendor == "nvidia" and os in CATALOG[shape].supported_os
]


def test_user_data_fits_the_cap_for_every_shape():
    worst: dict[str, int] = {}
    # With and without a GPU power cap (which adds the gpu_power unit and a checker argument);
    # 300 W is within every NVIDIA shape's board power.
    for (shape, os), cap in itertools.product(SUPPORTED, (None, 300)):
        mode = "compute_cluster" if CATALOG[shape].needs_gpu_memory_cluster else "cluster_network"
        try:
            config = config_with(pool(shape, os, mode) | {"gpu_power_cap_w": cap})
        except ConfigError as exc:  # pragma: no cover - the catalog says it is supported
            raise AssertionError(exc.render()) from exc
        ud = user_data_b64(config)["gpus"]
        total = len(ud) + len(config.ssh_public_key)
        assert total <= METADATA_CAP_BYTES, (shape, os, total)
        raw = base64.b64decode(ud)
        text = gzip.decompress(raw).decode() if raw[:2] == b"\x1f\x8b" else raw.decode()
        assert "readonly GF_HEALTH_PYZ_B64=''" in text
        assert ("nvidia-smi -pl 300" in text) is (cap is not None)
        worst[shape] = max(worst.get(shape, 0), total)
    assert len(worst) >= 6
    # Headroom left for the config-driven parts (training packages, ssh key).
    assert max(worst.values()) < METADATA_CAP_BYTES * 0.7, worst
