"""What will run on the nodes: the diff of each pool's rendered bootstrap script, for review.

script_diff_markdown({"h100": old_text}, {"h100": new_text}) ->
"### Node bootstrap scripts\n\n<details><summary>pool h100: bootstrap.sh +3 -1 ..."
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from infra.config import StackConfig

MAX_LINES_PER_POOL = 300  # a longer diff is cut with a note; the full files come from render


def rendered_scripts(config: StackConfig) -> dict[str, str | None]:
    """Pool -> rendered bootstrap.sh, or None where the shape has no bootstrap yet."""
    from bootstrap.render import engine
    from bootstrap.render.errors import RenderError

    out: dict[str, str | None] = {}
    for pool in config.pools:
        try:
            out[pool.name] = engine.render_pool(config, pool)["bootstrap.sh"]
        except RenderError:
            out[pool.name] = None
    return out


def script_diff_markdown(
    base: Mapping[str, str | None], head: Mapping[str, str | None], budget: int = 20_000
) -> str:
    """Markdown: one folded unified diff per pool whose script changed; bounded by `budget`."""
    sections: list[str] = []
    for pool in sorted(set(base) | set(head)):
        old, new = base.get(pool), head.get(pool)
        if pool in base and pool in head and old == new:
            continue
        if new is None and pool in head:
            sections.append(f"- pool `{pool}`: its shape has no bootstrap script yet")
            continue
        lines = list(
            difflib.unified_diff(
                (old or "").splitlines(),
                (new or "").splitlines(),
                fromfile=f"base/{pool}/bootstrap.sh" if pool in base else "/dev/null",
                tofile=f"head/{pool}/bootstrap.sh" if pool in head else "/dev/null",
                lineterm="",
                n=2,
            )
        )
        added = sum(1 for ln in lines if ln.startswith("+") and not ln.startswith("+++"))
        removed = sum(1 for ln in lines if ln.startswith("-") and not ln.startswith("---"))
        cut = len(lines) - MAX_LINES_PER_POOL
        body = "\n".join(lines[:MAX_LINES_PER_POOL]).replace("```", "`\u200b``")
        note = (
            f"\n\n({cut} more diff lines cut; run `gpufleet render` for the files)"
            if cut > 0
            else ""
        )
        sections.append(
            f"<details><summary>pool <code>{pool}</code>: bootstrap.sh "
            f"+{added} -{removed}</summary>\n\n```diff\n{body}\n```{note}\n\n"
            "</details>"
        )
    if not sections:
        return "\n### Node bootstrap scripts\n\nNo change to what runs on the nodes.\n"
    text = "\n### Node bootstrap scripts\n\n" + "\n\n".join(sections) + "\n"
    if len(text) > budget:
        text = (
            text[: budget - 120] + "\n```\n</details>\n\n(script diffs cut to stay under "
            "GitHub's comment limit; run `gpufleet render` on both sides)\n"
        )
    return text
