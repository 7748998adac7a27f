"""Hostile config values are rejected by validation or render inert; a loopback IMDS works."""

from __future__ import annotations

import http.server
import threading
import typing
from pathlib import Path

import pytest

from bootstrap.render import RenderError, plain
from infra.config import ConfigError
from tests.render.configs import config_with, example_raw, pool


def payloads(marker: Path) -> list[str]:
    m = str(marker)
    return [
        f"$(touch {m})",
        f"`touch {m}`",
        f"x'; touch {m}; '",
        f'x"; touch {m}; "',
        f"v1\ntouch {m}",
        f"x; touch {m}; rm -rf /",
    ]


FIELDS = [
    ("cluster_name", lambda raw, v: raw.__setitem__("cluster_name", v)),
    ("pools[0].name", lambda raw, v: raw["pools"][0].__setitem__("name", v)),
    ("software.driver", lambda raw, v: raw["software"].__setitem__("driver", v)),
    ("software.nccl_tests", lambda raw, v: raw["software"].__setitem__("nccl_tests", v)),
    (
        "software.training.packages",
        lambda raw, v: raw["software"]["training"].__setitem__(
            "packages", [f"torchvision==0.20.1{v}"]
        ),
    ),
    (
        "storage.file_system.mount_path",
        lambda raw, v: raw["storage"]["file_system"].__setitem__("mount_path", "/mnt/x" + v),
    ),
]


@pytest.mark.parametrize("field", [f for f, _ in FIELDS])
def test_hostile_config_values_are_rejected(field, tmp_path):
    setter = dict(FIELDS)[field]
    for value in payloads(tmp_path / "MARK"):
        raw = example_raw()
        raw["pools"][0]["os"] = "ubuntu-22.04"
        setter(raw, value)
        with pytest.raises((ConfigError, RenderError)):
            cfg = config_with(*raw["pools"], **{k: v for k, v in raw.items() if k != "pools"})
            from bootstrap.render import render_pool

            render_pool(cfg, cfg.pools[0])
    assert not (tmp_path / "MARK").exists()


def test_comments_only_take_plain_tokens(monkeypatch):
    # A shell-quoted value with a newline would end a `#` comment and run its second line.
    monkeypatch.setattr(plain, "safe", lambda kind, key, value, pool: value)
    base = config_with(pool("BM.GPU.H100.8", "ubuntu-22.04"))
    from bootstrap.render import render_pool

    with pytest.raises(RenderError, match="not a plain config token"):
        render_pool(base.model_copy(update={"cluster_name": "x\ntouch /tmp/m"}), base.pools[0])


def test_a_trailing_newline_that_config_validation_lets_by_is_caught_at_render():
    # infra.config uses re.match(...$), which accepts "name\n"; render uses fullmatch.
    raw = example_raw()
    raw["software"]["training"]["packages"] = ["transformers==4.46.3\n"]
    try:
        cfg = config_with(pool("BM.GPU.H100.8", "ubuntu-22.04"), software=raw["software"])
    except ConfigError:
        return  # validation caught it: fine too
    from bootstrap.render import render_pool

    with pytest.raises(RenderError, match=r"software.training.packages\[\] = 'transformers"):
        render_pool(cfg, cfg.pools[0])


def test_values_that_bypass_validation_still_render_inert(make_node, tmp_path, monkeypatch):
    """Second layer: with the render-time checks switched off, shell quoting alone keeps every
    payload inert; the script runs in --check in the sandbox and the marker never appears."""
    marker = tmp_path / "MARK"
    monkeypatch.setattr(plain, "safe", lambda kind, key, value, pool: value)
    base = config_with(pool("BM.GPU.H100.8", "ubuntu-22.04"))
    for value in payloads(marker):
        sw = base.software.model_copy(
            update={
                "driver": value,
                "nccl_tests": value,
                "training": base.software.training.model_copy(update={"packages": (value,)}),
            }
        )
        fs = base.storage.file_system.model_copy(update={"mount_path": "/mnt/" + value})
        storage = base.storage.model_copy(update={"file_system": fs})
        cfg = base.model_copy(update={"software": sw, "storage": storage})
        node = make_node(cfg)
        result = node.run("--check")
        assert result.rc == 0, result.stderr[-2000:]
        result = node.run("--only", "os_tuning,health_timer")
        assert result.rc == 0
        assert not marker.exists(), value


class _Imds(http.server.BaseHTTPRequestHandler):
    root: Path
    seen: typing.ClassVar[list[str]] = []

    def do_GET(self):
        self.seen.append(f"{self.headers.get('Authorization', '')} {self.path}")
        path = self.root / self.path.removeprefix("/opc/v2/")
        if self.headers.get("Authorization") != "Bearer Oracle" or not path.is_file():
            self.send_response(404)
            self.end_headers()
            return
        body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_imds_over_a_loopback_url_with_the_v2_header(make_node):
    node = make_node(config_with(pool("BM.GPU.H100.8", "ubuntu-22.04")))
    _Imds.root = node.imds
    _Imds.seen = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Imds)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/opc/v2"
        result = node.run("--check", "--only", "preflight,shared_fs", GF_IMDS=url)
    finally:
        server.shutdown()
    assert result.rc == 0, result.stderr[-2000:]
    assert result.by_step()["preflight"]["status"] == "ok"
    assert result.by_step()["shared_fs"]["message"].startswith("would mount")
    assert _Imds.seen == [
        "Bearer Oracle /opc/v2/instance/shape",
        "Bearer Oracle /opc/v2/instance/metadata/gpufleet_fss_host",
    ]
