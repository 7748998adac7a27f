"""The checker zipapp: deterministic, self-contained, and what bootstrap.sh embeds."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from bootstrap.nodecheck import zipapp
from bootstrap.render import render_pool
from tests.render.configs import config_with, pool


def test_two_builds_are_byte_identical():
    assert zipapp.build(zipapp.entries()) == zipapp.build(zipapp.entries())


def test_entries_are_sorted_dated_1980_and_mode_0644():
    archive = zipfile.ZipFile(io.BytesIO(zipapp.checker_pyz()))
    names = archive.namelist()
    assert names == sorted(names) and "__main__.py" in names
    for info in archive.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644
    # Only the checker's closure: no render, SSH, inventory or CLI code; stub parents.
    tops = {n.split("/")[0] for n in names}
    assert tops == {"__main__.py", "bootstrap", "infra"}
    assert archive.read("bootstrap/__init__.py") == b""
    assert archive.read("infra/__init__.py") == b""
    assert not any(
        n.startswith(("bootstrap/render", "bootstrap/ssh", "bootstrap/commands")) for n in names
    )
    assert "infra/shapes.py" in names and "bootstrap/health/checks/gpu.py" in names


def test_runs_with_the_standard_library_alone(tmp_path: Path):
    """-I -S: no site-packages (so no editable gpufleet, no pydantic/pulumi), cwd elsewhere."""
    pyz = tmp_path / "gpufleet-health.pyz"
    pyz.write_bytes(zipapp.checker_pyz())
    probe = (
        f"import runpy, sys; sys.argv = [{str(pyz)!r}, '--help']\n"
        "try: runpy.run_path(sys.argv[0], run_name='__main__')\n"
        "except SystemExit: pass\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pydantic', 'pulumi', 'paramiko', 'jinja2', 'click', 'rich', 'yaml'))\n"
        "print('third-party:', bad)\n"
        "print('from:', sys.modules['bootstrap.health.findings'].__file__)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage: gpufleet-health" in proc.stdout
    assert "third-party: []" in proc.stdout
    assert f"from: {pyz}" in proc.stdout  # imported from the zip, not the checkout


def test_bootstrap_sh_embeds_the_same_pyz_for_every_pool():
    config = config_with(
        pool("BM.GPU.H100.8", "ubuntu-22.04", name="h100"),
        pool("BM.GPU.A100-v2.8", "oracle-linux-8", name="a100"),
    )
    pyz = zipapp.checker_pyz()
    sha = hashlib.sha256(pyz).hexdigest()
    for p in config.pools:
        first, second = render_pool(config, p), render_pool(config, p)
        assert first == second
        script = first["bootstrap.sh"]
        assert f"readonly GF_HEALTH_SHA256={sha}\n" in script
        b64 = re.search(r"^readonly GF_HEALTH_PYZ_B64=(\S+)$", script, re.M)
        assert b64 is not None and base64.b64decode(b64.group(1)) == pyz
