"""The bootstrap script's health_timer step, run for real in the node_script sandbox: it installs
the checker zipapp (verified by sha256) before enabling the timer; the first-boot copy installs
the timer only and says so; every guard is exercised both ways."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bootstrap.nodecheck.zipapp import checker_pyz
from bootstrap.render.engine import first_boot_script
from bootstrap.render.steps.health_timer import HEALTH_CHECKER, HEALTH_OUT
from tests.node_script.conftest import Node
from tests.nodecheck.sandbox import CheckNode
from tests.render.configs import config_with, pool

ONLY = ("--only", "health_timer")


def node(tmp_path: Path) -> Node:
    return Node(tmp_path, config_with(pool("BM.GPU.H100.8", "ubuntu-22.04", name="h100")))


def checker_file(n: Node) -> Path:
    return n.root / HEALTH_CHECKER.lstrip("/")


def test_installs_the_checker_then_is_ok(tmp_path: Path):
    n = node(tmp_path)
    first = n.run(*ONLY)
    assert first.rc == 0, first.stderr[-2000:]
    step = first.by_step()["health_timer"]
    assert step["status"] == "changed"
    assert checker_file(n).read_bytes() == checker_pyz()
    assert (checker_file(n).stat().st_mode & 0o777) == 0o644
    assert "systemctl enable --now gpufleet-health.timer" in n.calls()
    assert any(c.startswith("apt-get") and "python3.11" in c for c in n.calls())
    again = n.run(*ONLY)
    step = again.by_step()["health_timer"]
    sha = hashlib.sha256(checker_pyz()).hexdigest()
    assert step["status"] == "ok"
    assert step["message"] == (
        f"health check every 5 min: timer enabled and active, checker {sha[:12]} installed"
    )


def test_a_changed_checker_is_reinstalled(tmp_path: Path):
    n = node(tmp_path)
    assert n.run(*ONLY).rc == 0
    checker_file(n).write_bytes(b"tampered")
    check = n.run("--check", *ONLY).by_step()["health_timer"]
    assert check["status"] == "changed"
    assert f"{HEALTH_CHECKER} is missing or differs" in check["message"]
    assert checker_file(n).read_bytes() == b"tampered", "--check changes nothing"
    fixed = n.run(*ONLY).by_step()["health_timer"]
    assert fixed["status"] == "changed"
    assert checker_file(n).read_bytes() == checker_pyz()


def test_a_corrupt_embedded_checker_fails_the_step(tmp_path: Path):
    n = node(tmp_path)
    text = n.script.read_text()
    b64 = text.split("readonly GF_HEALTH_PYZ_B64=", 1)[1].split("\n", 1)[0]
    n.script.write_text(text.replace(b64, "QUJD"))  # "ABC": valid base64, wrong bytes
    result = n.run(*ONLY)
    assert result.rc == 4
    assert "does not match its sha256" in result.by_step()["health_timer"]["message"]
    assert not checker_file(n).exists()
    assert not any(p.name.endswith("gpufleet-new") for p in checker_file(n).parent.iterdir())


def test_first_boot_copy_installs_the_timer_and_reports_the_checker_missing(tmp_path: Path):
    n = node(tmp_path)
    copy = tmp_path / "first-boot.sh"
    copy.write_text(first_boot_script(n.config, n.pool))
    result = n.run(*ONLY, script=copy)
    assert result.rc == 0, result.stderr[-2000:]
    assert "systemctl enable --now gpufleet-health.timer" in n.calls()
    assert not checker_file(n).exists()
    again = n.run(*ONLY, script=copy).by_step()["health_timer"]
    assert again["status"] == "ok"
    assert "checker not in this first-boot copy" in again["message"]
    assert '"checker not yet installed"' in again["message"]
    # The full script (gpufleet bootstrap over SSH) then installs it...
    assert n.run(*ONLY).by_step()["health_timer"]["status"] == "changed"
    assert checker_file(n).read_bytes() == checker_pyz()
    # ...and a later run of the first-boot copy leaves it alone.
    later = n.run(*ONLY, script=copy).by_step()["health_timer"]
    assert (
        later["status"] == "ok"
        and "checker kept as gpufleet bootstrap installed it" in (later["message"])
    )
    assert checker_file(n).read_bytes() == checker_pyz()


def test_first_boot_node_health_json_says_not_installed(tmp_path: Path):
    config = config_with(pool("BM.GPU.H100.8", "ubuntu-22.04", name="h100"))
    check = CheckNode(tmp_path, config, facts={})  # the checker is never installed
    proc = check.run()
    assert proc.returncode == 1
    doc = check.health()
    assert doc["verdict"] == "fail" and doc["failing_checks"] == ["health-checker"]
    assert "checker not yet installed" in doc["errors"][0]["message"]
    assert check.out == check.root / HEALTH_OUT.lstrip("/")
