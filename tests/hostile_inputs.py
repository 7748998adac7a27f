"""Hostile documents shared by the loader tests and the CLI bad-input corpus."""

from __future__ import annotations

DEEP_JSON = "[" * 100_000 + "]" * 100_000


def billion_laughs(key: str = "gpufleet:pools") -> str:
    """A stack file of 9 levels of 9 aliases each: under 2 KB, 9^9 (387 million) strings once
    expanded; the last level is the value of `key`."""
    lines = ['config:\n  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"  {name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    lines.append(f"  {key}: *i")
    return "\n".join(lines) + "\n"
