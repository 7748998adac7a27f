"""JSON outputs of node commands: garbage nested past the interpreter's stack is a parse error."""

from __future__ import annotations

import pytest

from bootstrap.facts.base import load_json
from bootstrap.facts.errors import FactParseError


def test_deeply_nested_output_is_a_parse_error_not_a_crash() -> None:
    with pytest.raises(FactParseError, match="nested too deeply"):
        load_json("imds-host", "[" * 200_000 + "]" * 200_000)
