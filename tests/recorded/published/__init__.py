"""Real outputs published by others (see README.md here), read for the parser tests."""

from __future__ import annotations

from pathlib import Path

from bootstrap.facts.base import strip_provenance

PUBLISHED = Path(__file__).resolve().parent
_ANNOTATION = "# cmd: "  # the publisher's note of the command, above its output


def published(name: str) -> str:
    """The recorded output: provenance line and the publisher's `# cmd:` note removed."""
    text = strip_provenance((PUBLISHED / name).read_text(encoding="utf-8"))
    first, _, rest = text.partition("\n")
    return rest if first.startswith(_ANNOTATION) else text
