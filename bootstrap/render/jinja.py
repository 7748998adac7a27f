"""The Jinja2 environment: StrictUndefined, and every `{{ ... }}` must go through a filter that
makes it safe for where it lands (`q`: shell word, `block(n)`: YAML block scalar, `conf`:
a plain config token, `slurm`: a slurm.conf value). A bare `{{ value }}` is a render error,
so a template cannot forget.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import jinja2

from bootstrap.render.errors import RenderError


class Safe(str):
    """Text already made safe for its destination by one of the filters below."""


def shell_quote(value: object) -> Safe:
    """One shell word: `$(touch X)`, backticks, quotes, newlines all stay inert data."""
    if isinstance(value, bool) or value is None:
        raise RenderError(f"refusing to shell-quote {value!r}: pass a string or a number")
    return Safe(shlex.quote(str(value)))


def yaml_block(value: object, width: int) -> Safe:
    """Text for a YAML literal block scalar indented by `width` (first line not indented)."""
    return Safe(jinja2.filters.do_indent(str(value), width))


_CONF_TOKEN = re.compile(r"[A-Za-z0-9_=,.:/+@-]*")


def conf_token(value: object) -> Safe:
    """A token for a KEY=VALUE file that is not a shell file (nccl.conf, systemd units)."""
    text = str(value)
    if not _CONF_TOKEN.fullmatch(text):
        raise RenderError(f"{text!r} is not a plain config token ({_CONF_TOKEN.pattern})")
    return Safe(text)


_SLURM_BARE = re.compile(r"[A-Za-z0-9_=,.:/+@%\[\]-]*")
_SLURM_QUOTABLE = re.compile(r"[^\"#\n\r\\]*")


def slurm_value(value: object) -> Safe:
    """A value for slurm.conf-style files: bare when plain, double-quoted when it has spaces."""
    text = str(value)
    if _SLURM_BARE.fullmatch(text):
        return Safe(text)
    if _SLURM_QUOTABLE.fullmatch(text):
        return Safe(f'"{text}"')
    raise RenderError(f"{text!r} cannot be written into a Slurm config file (quote, # or newline)")


def _finalize(value: Any) -> Any:
    if not isinstance(value, Safe):
        raise RenderError(f"template printed {value!r} without a safety filter (q, block or conf)")
    return value


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("templates", ""),
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # bash uses "{#" (${#array[@]}): Jinja comments get delimiters bash never writes.
        comment_start_string="<#--",
        comment_end_string="--#>",
        autoescape=False,  # not HTML: the filters above do the escaping for each destination
    )
    env.filters["q"] = shell_quote
    env.filters["block"] = yaml_block
    env.filters["conf"] = conf_token
    env.filters["slurm"] = slurm_value
    return env


_ENV: jinja2.Environment | None = None


def render_text(template: str, **data: Any) -> str:
    global _ENV
    if _ENV is None:
        _ENV = environment()
    return _ENV.get_template(template).render(**data)
