"""Dot1xStatus from the recorded `wpa_cli status` of an authenticated RDMA port."""

from __future__ import annotations

import pytest

from bootstrap.facts.dot1x import command_for, parse
from bootstrap.facts.errors import FactParseError


def test_authenticated_recorded(fixture_text):
    status = parse(fixture_text("wpa_cli_status_rdma_8021x_authenticated.txt"))
    assert (status.wpa_state, status.pae_state, status.eap_state) == (
        "COMPLETED", "AUTHENTICATED", "SUCCESS"
    )  # fmt: skip
    assert status.authenticated is True


def test_not_authenticated(case_text):
    status = parse(case_text("wpa_cli_status_not_authenticated.txt"))
    assert status.pae_state == "CONNECTING" and status.authenticated is False


def test_unauthorized_port_is_not_authenticated():
    text = "wpa_state=COMPLETED\nSupplicant PAE state=AUTHENTICATED\nsuppPortStatus=Unauthorized\n"
    assert parse(text).authenticated is False


def test_truncated_mid_value_is_not_authenticated(fixture_text):
    text = fixture_text("wpa_cli_status_rdma_8021x_authenticated.txt")
    cut = text[: text.index("AUTHENTICATED") + 6]  # "...PAE state=AUTHEN"
    assert parse(cut).authenticated is False


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("Failed to connect to non-global ctrl_ifname: rdma0  error: No such file\n", "key=value"),
        ("EAP state=SUCCESS\n", "wpa_state"),
        ("wpa_state=COMPLETED\x00\x00\n", "garbage"),
    ],
)
def test_bad_input(text, reason):
    with pytest.raises(FactParseError, match=reason):
        parse(text)


def test_command_quotes_interface():
    assert command_for("rdma0") == "timeout 10 wpa_cli -i rdma0 status"
    assert command_for("x; rm -rf /") == "timeout 10 wpa_cli -i 'x; rm -rf /' status"
