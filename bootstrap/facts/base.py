"""Shared helpers for fact parsers: input sanity, shell-transcript noise, JSON, serialisation.

Everything here is pure (no I/O). Parsers call `require_text` first, so empty and binary garbage
input is rejected the same way for every kind.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from bootstrap.facts.errors import FactParseError

# Provenance lines that recorded fixtures and our derived cases start with (fixtures/README.md:
# "the first line of each text file is a `# SOURCE:` or `<!-- SOURCE -->` comment").
_PROVENANCE = (
    "# SOURCE:",
    "<!-- SOURCE",
    "# HAND-WRITTEN",
    "<!-- HAND-WRITTEN",
    "# DERIVED",
    "<!-- DERIVED",
)

# C0 control characters other than tab/newline/CR, and U+FFFD (what undecodable bytes become
# when a file is read with errors="replace"): real command output here never contains them.
_GARBAGE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")

# A shell prompt line copied into a transcript: "$ cmd", "> cmd", "user@host:~$ cmd",
# "[root@host ~]# cmd". Only parsers of formats that never start a line this way drop them.
_PROMPT = re.compile(r"^(?:[$>](?:\s|$)|[\w.-]+@[\w.-]+:\S*[$#](?:\s|$)|\[[^\]]+\][$#](?:\s|$))")


class Fact:
    """Mixin for frozen result dataclasses: deterministic JSON."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=2)


def strip_provenance(text: str) -> str:
    """Drop a first line that records where a fixture came from; leave real output untouched."""
    first, _, rest = text.partition("\n")
    if first.lstrip().startswith(_PROVENANCE):
        return rest
    return text


def require_text(kind: str, text: str) -> str:
    """Reject empty and binary-garbage input; return the text unchanged."""
    if not text.strip():
        raise FactParseError(kind, "empty output")
    bad = _GARBAGE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise FactParseError(kind, f"line {line}: binary/garbage byte {bad.group()!r}")
    return text


def is_prompt(line: str) -> bool:
    """True for a shell-prompt line pasted into a transcript (not command output)."""
    return bool(_PROMPT.match(line))


def load_json(kind: str, text: str) -> Any:
    """`json.loads` that raises FactParseError (truncated JSON is the common case)."""
    require_text(kind, text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FactParseError(kind, f"not valid JSON (truncated?): {exc}") from None
    except RecursionError:  # garbage like "[[[[..." deeper than the interpreter's stack
        raise FactParseError(kind, "JSON nested too deeply to be a real output") from None


def opt_str(kind: str, obj: dict[str, Any], key: str) -> str | None:
    """A string field that may be absent; present but not a string is a parse error."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FactParseError(kind, f"field {key!r} is {type(value).__name__}, expected string")
    return value


def req_str(kind: str, obj: dict[str, Any], key: str) -> str:
    """A string field that must be present and non-empty."""
    value = opt_str(kind, obj, key)
    if not value:
        raise FactParseError(kind, f"required field {key!r} is missing or empty")
    return value
