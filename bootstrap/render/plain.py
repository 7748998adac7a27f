"""Values that reach a shell or a config file must be plain text of their kind, whole.

On top of shell quoting: config validation uses re.match with '$', which lets a trailing
newline by; here every value must match its pattern with re.fullmatch.
"""

from __future__ import annotations

import re

from bootstrap.render.errors import RenderError

PATTERNS = {
    "name": re.compile(r"[a-z][a-z0-9-]{0,22}[a-z0-9]"),
    "version": re.compile(r"[0-9][0-9A-Za-z.+~-]{0,63}"),
    "tag": re.compile(r"v[0-9]+\.[0-9]+\.[0-9]+"),
    "pip": re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*==[0-9][0-9A-Za-z.+!-]*"),
    "image": re.compile(
        r"[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9][A-Za-z0-9._-]*)?(@sha256:[0-9a-f]{64})?"
    ),
    "path": re.compile(r"/[A-Za-z0-9._/-]*"),
}


def safe(kind: str, key: str, value: str, pool: str) -> str:
    """`value` unchanged if it is a plain `kind`; else a RenderError naming key and value."""
    if not PATTERNS[kind].fullmatch(value) or (kind == "path" and ".." in value.split("/")):
        raise RenderError(
            f"pool {pool!r}: {key} = {value!r} is not a plain {kind} (allowed: "
            f"{PATTERNS[kind].pattern}); fix: remove quotes, spaces, newlines and shell characters"
        )
    return value
