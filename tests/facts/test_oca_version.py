"""OcaVersion from hand-written rpm / dpkg-query / snap outputs (the real "not installed"
output of a GPU VM is tested in test_device_recordings.py; no installed-agent recording exists)."""

from __future__ import annotations

import pytest

from bootstrap.facts.errors import FactParseError
from bootstrap.facts.oca_version import COMMAND, NOT_FOUND, parse


@pytest.mark.parametrize(
    ("name", "version", "release"),
    [
        ("oca_version_rpm_handwritten.txt", "1.40.0-8.el9.x86_64", (1, 40, 0)),
        ("oca_version_dpkg_handwritten.txt", "1.39.0-2", (1, 39, 0)),
        ("oca_version_snap_handwritten.txt", "1.38.1-4", (1, 38, 1)),
    ],
)
def test_installed(case_text, name, version, release):
    oca = parse(case_text(name))
    assert (oca.installed, oca.version, oca.release) == (True, version, release)


def test_not_installed(case_text):
    oca = parse(case_text("oca_version_not_installed.txt"))
    assert (oca.installed, oca.version, oca.release) == (False, None, None)
    assert parse(NOT_FOUND + "\n").installed is False


def test_command_asks_each_package_manager_then_says_not_found():
    assert COMMAND.index("rpm -q") < COMMAND.index("dpkg-query -W") < COMMAND.index("snap list")
    assert COMMAND.endswith(f"echo '{NOT_FOUND}'")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("oracle-cloud-agent-1", "no oracle-cloud-agent version line"),  # cut before a dot
        ("error: rpmdb open failed\n", "no oracle-cloud-agent version line"),
        ("Name  Version  Rev  Tracking\n", "no oracle-cloud-agent version line and no"),
        ("oracle-cloud-agent-1.40.0\x00\n", "garbage"),
    ],
)
def test_bad_text(text, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(text)
