"""`json.loads` bounded in depth, with nothing beyond the standard library.

Split from `infra/input_file.py` (which needs PyYAML) because the node health checker zipapp
parses JSON facts with it and runs on whatever Python the node has.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64  # real stack/inventory/preview documents nest well under 20 levels


class TooDeepError(ValueError):
    """A JSON document nested deeper than MAX_DEPTH."""


def parse_json(text: str) -> Any:
    """`json.loads` that refuses deep nesting (TooDeepError); JSONDecodeError as json raises it."""
    try:
        doc = json.loads(text)
    except RecursionError:
        raise TooDeepError(f"nested deeper than {MAX_DEPTH} levels") from None
    level: list[tuple[Any, int]] = [(doc, 1)]
    while level:
        value, d = level.pop()
        if d > MAX_DEPTH:
            raise TooDeepError(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            level.extend((v, d + 1) for v in value.values())
        elif isinstance(value, list):
            level.extend((v, d + 1) for v in value)
    return doc
