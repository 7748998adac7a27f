"""Render-time errors.

RenderError (ValueError)          a pool that cannot be rendered: unsupported shape/OS, an
 |                                unsafe value, ... (names the pool, the key, the value, the
 |                                fix)
 +-- UserDataTooLarge             the cloud-init would not fit OCI's 32,000-byte metadata cap
"""

from __future__ import annotations


class RenderError(ValueError):
    """A pool whose node bootstrap cannot be rendered; the message says why and how to fix it."""


class UserDataTooLarge(RenderError):
    """user_data (base64) + ssh_authorized_keys would exceed OCI's instance metadata cap."""
