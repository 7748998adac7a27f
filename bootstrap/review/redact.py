"""Keep secrets out of PR comments.

Values the engine marked secret arrive as "[secret]" and stay so. Unmarked values appear in
plain text in preview JSON (facts/pulumi.md 3.1), so anything that looks like a private key or
a token is replaced, and so is any value under a key named like a credential.
"""

from __future__ import annotations

import re
from typing import Any

SECRET = "[secret]"
REDACTED = "[redacted]"

# Key names whose values are credentials whatever they look like.
_SECRET_KEY = re.compile(
    r"(?i)(password|passphrase|passwd|secret|token|private_?key|api_?key|credential|"
    r"client_?secret|access_?key)"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)", re.S
        ),
        "[redacted private key]",
    ),
    (
        re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
        "[redacted GitHub token]",
    ),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "[redacted Slack token]"),
    (re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"), "[redacted AWS key id]"),
    (re.compile(r"\bpul-[0-9a-f]{40}\b"), "[redacted Pulumi token]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), "[redacted JWT]"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{16,}"), "[redacted credential]"),
)


def redact_text(text: str) -> str:
    """Replace anything that looks like a private key or token inside `text`."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def is_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key))


def redact_value(value: Any, key: str = "") -> Any:
    """A copy of `value` fit for a PR comment (recursively)."""
    if value == SECRET:
        return SECRET
    if isinstance(value, dict):
        return {k: redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v, key) for v in value]
    if key and is_secret_key(key) and value not in (None, "", [], {}):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    return value
