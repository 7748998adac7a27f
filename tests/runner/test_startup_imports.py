"""A fleet command's start-up is client CPU paid once per run (benchmarks/fanout.py): modules it
never uses stay unimported."""

from __future__ import annotations

import subprocess
import sys

PROBE = (
    "import sys, bootstrap.commands.bootstrap, bootstrap.commands.run; "
    "print(sys.modules.get('invoke', 'absent'), 'asyncio' in sys.modules)"
)


def test_fleet_commands_do_not_import_invoke_or_asyncio() -> None:
    # paramiko imports invoke (and with it asyncio) only for ssh_config's `Match exec`.
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["None", "False"]


def test_paramiko_still_imports_and_refuses_match_exec_clearly() -> None:
    probe = (
        "import bootstrap.ssh, paramiko\n"
        "c = paramiko.SSHConfig.from_text('Match exec true\\n  User x\\n')\n"
        "try:\n    c.lookup('h')\nexcept ImportError:\n    print('refused')\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "refused"
