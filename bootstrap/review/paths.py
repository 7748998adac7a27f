"""Property paths in the engine's notation: `instancePools[0].size`, `metadata.user_data`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

_TOKEN = re.compile(r'\[(\d+)\]|\["([^"]*)"\]|([^.\[\]]+)')
MISSING = object()


def tokens(path: str) -> list[str | int]:
    out: list[str | int] = []
    for index, quoted, name in _TOKEN.findall(path):
        out.append(int(index) if index else (quoted or name))
    return out


def get(value: Any, path: str) -> Any:
    """The value at `path`, or MISSING."""
    for token in tokens(path):
        if isinstance(token, int):
            if not (isinstance(value, list) and token < len(value)):
                return MISSING
            value = value[token]
        elif isinstance(value, Mapping) and token in value:
            value = value[token]
        else:
            return MISSING
    return value


def join(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    if re.fullmatch(r"[A-Za-z0-9_$-]+", key):
        return f"{prefix}.{key}" if prefix else key
    return f'{prefix}["{key}"]'


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Leaf (path, value) pairs; empty containers are leaves."""
    if isinstance(value, Mapping) and value:
        for key in sorted(value, key=str):
            yield from flatten(value[key], join(prefix, str(key)))
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            yield from flatten(item, join(prefix, i))
    else:
        yield prefix, value


def leaf_key(path: str) -> str:
    """The last named segment (for key-based redaction)."""
    names = [t for t in tokens(path) if isinstance(t, str)]
    return names[-1] if names else ""


def generic(path: str) -> str:
    """`instancePools[0].size` -> `instancePools.size` (for rule matching)."""
    return ".".join(t for t in tokens(path) if isinstance(t, str))


def changed_paths(old: Any, new: Any) -> list[tuple[str, str]]:
    """(path, kind) for every leaf that differs; kind is add / delete / update."""
    before = dict(flatten(old or {}))
    after = dict(flatten(new or {}))
    out = []
    for path in sorted(set(before) | set(after)):
        if path not in before:
            out.append((path, "add"))
        elif path not in after:
            out.append((path, "delete"))
        elif before[path] != after[path]:
            out.append((path, "update"))
    return out
