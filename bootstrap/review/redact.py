"""Keep secrets out of PR comments.

Unmarked values appear in plain text in preview JSON (facts/pulumi.md 3.1), so every value that
reaches a comment passes through `redact_value`, which masks, in this order:

1. Pulumi's own secret markers: the string "[secret]" the engine prints, and a secret object
   `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ...}` as state and
   stack exports write it (pulumi/pulumi sdk/go/common/resource/sig/sig.go: `Key` and `Secret`).
2. A value under a key named like a secret (`*pass*`, `*secret*`, `*token*`, `*key*`,
   `*credential*`), unless it is an OCID or a public key (`kmsKeyId`, `ssh_authorized_keys`
   stay readable).
3. Secrets inside text, found by detect-secrets' plugins (keyword assignments, URL passwords,
   Slack webhooks, AWS keys, JWTs, OpenAI/Stripe/npm/PyPI/... tokens; Yelp/detect-secrets) plus
   the kinds it has no plugin for (Hugging Face, NGC, Pulumi, whole GitHub tokens) and whole
   PEM/PGP private key blocks (detect-secrets flags only the header line).
4. Base64 and gzip+base64 values (cloud-init user data): decoded, scanned as text, and masked
   whole when the decoded text holds a secret.

detect-secrets' entropy plugins are left out on purpose: they flag OCIDs, SSH public keys and
image names, and a review where every identifier reads "[redacted]" is useless.
"""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
import re
import zlib
from collections.abc import Iterator
from typing import Any

from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import BasePlugin
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.keyword import REGEX_BY_FILETYPE, KeywordDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector
from detect_secrets.util.filetype import FileType

SECRET = "[secret]"
REDACTED = "[redacted]"
# pulumi/pulumi sdk/go/common/resource/sig/sig.go: the key that marks a special object and the
# value that says "this object is a secret".
PULUMI_SIG_KEY = "4dabf18193072939515e22adb298388d"
PULUMI_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

_SECRET_KEY = re.compile(r"(?i)(pass|secret|token|key|credential)")
# Values that are identifiers or public material even under a key named like a secret.
_READABLE = re.compile(
    r"^(ocid1\.[a-z0-9_-]+\.|(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-ssh-\S+) "
    r"|-----BEGIN (RSA )?PUBLIC KEY-----)"
)
_BLOCK = re.compile(
    r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----.*?"
    r"(-----END ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----|\Z)",
    re.S,
)
# Kinds detect-secrets 1.5 has no plugin for, or reports only in part (its GitHub plugin yields
# the `ghp` prefix alone). Shapes: Hugging Face user access tokens `hf_` + 34 letters/digits;
# NGC personal keys `nvapi-`; OpenAI keys `sk-` / `sk-proj-`; Pulumi access tokens `pul-` + 40 hex.
_TOKENS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b({pattern})\b"), f"[redacted {kind}]")
    for pattern, kind in (
        (r"hf_[A-Za-z0-9]{30,}", "Hugging Face token"),
        (r"nvapi-[A-Za-z0-9_-]{40,}", "NGC key"),
        (r"sk-(proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}", "OpenAI key"),
        (r"gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}", "GitHub token"),
        (r"xox[abprs]-[A-Za-z0-9-]{10,}", "Slack token"),
        (r"pul-[0-9a-f]{40}", "Pulumi token"),
    )
)
_DETECTORS: tuple[BasePlugin, ...] = (
    ArtifactoryDetector(),
    AWSKeyDetector(),
    AzureStorageKeyDetector(),
    BasicAuthDetector(),
    DiscordBotTokenDetector(),
    GitLabTokenDetector(),
    JwtTokenDetector(),
    MailchimpDetector(),
    NpmDetector(),
    OpenAIDetector(),
    PypiTokenDetector(),
    SendGridDetector(),
    SlackDetector(),
    SquareOAuthDetector(),
    StripeDetector(),
    TelegramBotTokenDetector(),
    TwilioKeyDetector(),
)
# Keyword assignments without quotes (`export DB_PASSWORD=...`, `password: ...`), as in the
# shell and YAML of user data: detect-secrets' config-file flavour of its keyword plugin.
_KEYWORD = KeywordDetector()
_KEYWORD_RULES = REGEX_BY_FILETYPE[FileType.CONFIG]
_MIN_SECRET = 6  # shorter hits are plugin prefixes (`ghp`), never a whole secret
_BASE64 = re.compile(r"^[A-Za-z0-9+/]{24,}={0,2}$")


def _found(line: str) -> Iterator[str]:
    for detector in _DETECTORS:
        yield from detector.analyze_string(line)
    yield from _KEYWORD.analyze_string(line, denylist_regex_to_group=_KEYWORD_RULES)


def redact_text(text: str) -> str:
    """`text` with every private key block, token and assigned secret replaced."""
    text = _BLOCK.sub("[redacted private key]", text)
    for pattern, label in _TOKENS:
        text = pattern.sub(label, text)
    out = []
    for line in text.split("\n"):
        for hit in sorted(set(_found(line)), key=len, reverse=True):
            if len(hit) >= _MIN_SECRET and "[redacted" not in hit and not _READABLE.match(hit):
                line = line.replace(hit, REDACTED)
        out.append(line)
    return "\n".join(out)


def decode_base64(value: str) -> str | None:
    """The text inside a base64 (or gzip+base64) value, or None when it holds no text."""
    if not _BASE64.match(value) or len(value) % 4:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8")
    except (binascii.Error, OSError, EOFError, zlib.error, UnicodeDecodeError):
        return None
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    return text if text and printable == len(text) else None


def is_secret_key(key: str) -> bool:
    """True when a property named `key` holds credentials whatever its value looks like."""
    return bool(_SECRET_KEY.search(key))


def _is_pulumi_secret(value: dict[Any, Any]) -> bool:
    return value.get(PULUMI_SIG_KEY) == PULUMI_SECRET_SIG


@functools.lru_cache(maxsize=1 << 16)  # a review renders the same values at each detail level
def redact_string(value: str, key: str = "") -> str:
    """One string value fit for a PR comment; `key` is the property that holds it."""
    if value in (SECRET, ""):
        return value
    if key and is_secret_key(key) and not _READABLE.match(value):
        return REDACTED
    decoded = decode_base64(value)
    if decoded is not None and redact_text(decoded) != decoded:
        kind = "gzip+base64" if base64.b64decode(value)[:2] == b"\x1f\x8b" else "base64"
        return f"[redacted: {kind} value holding a secret]"
    return redact_text(value)


def redact_value(value: Any, key: str = "") -> Any:
    """A copy of `value` fit for a PR comment (recursively)."""
    if isinstance(value, dict):
        if _is_pulumi_secret(value):
            return SECRET
        return {k: redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v, key) for v in value]
    if isinstance(value, str):
        return redact_string(value, key)
    return value
