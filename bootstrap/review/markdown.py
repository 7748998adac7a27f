"""Render a Review as one GitHub PR comment: the worst thing first, bounded, deterministic.

Layout: headline (worst first) · summary · GPU impact table · dangerous operations with their
diffs and replace reasons · engine diagnostics · every other change folded in <details> per
operation · a note naming whatever was cut to stay under GitHub's 65,536-character limit.
Values marked secret stay "[secret]"; values that look like keys or tokens are redacted.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from bootstrap.review.model import (
    OFFLINE_UNKNOWN,
    UNKNOWN_SENTINEL,
    Disruption,
    PoolImpact,
    ResourceChange,
    Review,
)
from bootstrap.review.paths import MISSING, flatten, get, leaf_key
from bootstrap.review.redact import SECRET, redact_value

GITHUB_COMMENT_LIMIT = 65_536
# Leaves room for the sticky-comment marker and a second rendering in the same comment.
DEFAULT_LIMIT = 60_000
_NOTE_RESERVE = 600
MAX_ROWS = 30
MAX_VALUE = 100
_ICON = {4: "🔴", 3: "🟠", 2: "🟡", 1: "🟢", 0: "✅"}
_GROUP_ORDER = ("delete", "replace", "create-replacement", "delete-replaced", "update", "create")
_VERB = {
    "delete": "deletes",
    "replace": "replaces",
    "create-replacement": "replaces",
    "delete-replaced": "replaces",
    "discard": "discards",
}


# --- small formatting helpers ------------------------------------------------------------------


def _code(text: str) -> str:
    """Inline code safe inside a Markdown table cell."""
    escaped = html.escape(text, quote=False).replace("|", "&#124;").replace("\n", "⏎")
    return f"<code>{escaped}</code>"


def _value(value: Any, path: str = "") -> str:
    if value is MISSING:
        return "—"
    if value in (UNKNOWN_SENTINEL, OFFLINE_UNKNOWN):
        return "*(known after apply)*"
    value = redact_value(value, leaf_key(path))
    if value == SECRET:
        return _code(SECRET)
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if len(text) > MAX_VALUE:
        text = f"{text[:MAX_VALUE]}… (+{len(text) - MAX_VALUE} chars)"
    return _code(text)


def _n(value: int | float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _delta(before: float | None, after: float | None, spec: str) -> str:
    if before is None or after is None:
        return f"{_n(before, spec)} → {_n(after, spec)}"
    if before == after:
        return _n(after, spec)
    diff = after - before
    sign = "+" if diff > 0 else "-"
    return f"{_n(before, spec)} → {_n(after, spec)} ({sign}{format(abs(diff), spec)})"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _pool_desc(i: PoolImpact) -> str:
    shape = i.shape_before or i.shape_after or "unknown shape"
    nodes = "?" if i.nodes_before is None else f"{i.nodes_before:,}"
    gpus = "? GPUs" if i.gpus_before is None else f"{i.gpus_before:,} GPUs"
    return f"{nodes} x {shape} = {gpus}"


# --- headline ----------------------------------------------------------------------------------


def headlines(review: Review) -> list[tuple[int, str]]:
    """(severity 0-4, sentence) pairs, worst first."""
    out: list[tuple[int, str]] = []
    by = {d: [i for i in review.impacts if i.disruption is d] for d in Disruption}
    if by[Disruption.DESTROY]:
        pools = by[Disruption.DESTROY]
        out.append(
            (
                4,
                f"destroys {_plural(len(pools), 'GPU pool')}: "
                + "; ".join(f"{i.pool} ({_pool_desc(i)})" for i in pools),
            )
        )
    full = [i for i in by[Disruption.RECREATE] if i.disruption_label == "recreate all"]
    part = [i for i in by[Disruption.RECREATE] if i not in full]
    if full:
        listed = "; ".join(f"{i.pool}: {_pool_desc(i)}" for i in full)
        one = len(full) == 1
        what = f" ({full[0].pool}): {_pool_desc(full[0])}" if one else f": {listed} —"
        out.append((4, f"replaces {_plural(len(full), 'GPU pool')}{what} destroyed and recreated"))
    for i in part:
        out.append(
            (
                4,
                f"recreates {i.recreated_nodes} of {i.nodes_before} nodes of GPU pool "
                f"{i.pool} ({i.shape or 'unknown shape'})",
            )
        )
    for i in by[Disruption.SHRINK]:
        lost = (
            None if i.gpus_before is None or i.gpus_after is None else i.gpus_before - i.gpus_after
        )
        out.append(
            (
                3,
                f"shrinks GPU pool {i.pool}: {i.nodes_before} → {i.nodes_after} nodes, "
                f"{'?' if lost is None else f'{lost:,}'} GPUs terminated",
            )
        )
    pool_names = {i.pool for i in review.impacts}
    others = [
        c
        for c in review.changes
        if c.dangerous
        and not (c.parent in pool_names or c.name in pool_names or _pool_of_change(c) in pool_names)
    ]
    if others:
        out.append(
            (3, "; ".join(f"{_VERB.get(c.op, c.op)} {c.short_type} {c.name}" for c in others))
        )
    errors = [d for d in review.diagnostics if d.severity in ("error", "info#err")]
    if errors:
        out.append((3, f"the preview reported {_plural(len(errors), 'error')}"))
    for i in by[Disruption.NEW_NODES]:
        if (
            i.nodes_after is not None
            and i.nodes_before is not None
            and i.nodes_after > i.nodes_before
        ):
            added = (
                None
                if i.gpus_before is None or i.gpus_after is None
                else i.gpus_after - i.gpus_before
            )
            out.append(
                (
                    2,
                    f"grows GPU pool {i.pool}: {i.nodes_before} → {i.nodes_after} nodes "
                    f"(+{'?' if added is None else f'{added:,}'} GPUs)",
                )
            )
        else:
            out.append((2, f"changes GPU pool {i.pool} for new nodes only ({i.why})"))
    if not out:
        if review.changes:
            out.append((1, f"{_plural(len(review.changes), 'change')}, no GPU node disrupted"))
        else:
            out.append((0, "no changes"))
    return sorted(out, key=lambda x: -x[0])


def _pool_of_change(c: ResourceChange) -> str | None:
    from bootstrap.review.impact import Resource, pool_of

    return pool_of(Resource(c.type, c.name, c.new_inputs or c.old_inputs or {}, c.parent))


# --- sections ----------------------------------------------------------------------------------


def _impact_table(impacts: Iterable[PoolImpact]) -> str:
    rows = [
        "| pool | shape | nodes | GPUs | $/hour | kW | disruption |",
        "|---|---|---|---|---|---|---|",
    ]
    for i in impacts:
        shape = (
            (i.shape_before or "n/a")
            if i.shape_before == i.shape_after or not i.shape_after
            else (f"{i.shape_before} → {i.shape_after}" if i.shape_before else i.shape_after)
        )
        label = i.disruption_label
        if i.disruption is not Disruption.NONE:
            label = f"**{label}**" + (f" — {i.why}" if i.why else "")
        rows.append(
            " | ".join(
                [
                    f"| {i.pool}",
                    shape,
                    _delta(i.nodes_before, i.nodes_after, ",d"),
                    _delta(i.gpus_before, i.gpus_after, ",d"),
                    _delta(i.usd_before, i.usd_after, ",.2f"),
                    _delta(i.kw_before, i.kw_after, ",.1f"),
                    label + " |",
                ]
            )
        )
    rows.append("")
    rows.append(
        "<sub>$/hour: list price; kW: maximum node power of the matching NVIDIA "
        "reference system (infra/shapes.py); n/a: no public source or shape unknown."
        "</sub>"
    )
    return "\n".join(rows)


def _diff_table(c: ResourceChange) -> list[str]:
    rows = ["| property | before | after |", "|---|---|---|"]
    replace_paths = set(c.replace_reasons) | {h.path for h in c.forcenew}
    paths = list(c.diff_paths)
    # Redacted whole first: a Pulumi secret object must not be walked into leaf by leaf.
    old, new = redact_value(c.old_inputs or {}), redact_value(c.new_inputs or {})
    for path, kind in paths[:MAX_ROWS]:
        if path == "(protect)":
            rows.append(f"| protect | {_code(str(not c.protect))} | {_code(str(c.protect))} |")
            continue
        mark = (
            " 🔁"
            if (
                "replace" in kind
                or path in replace_paths
                or path.split(".")[0].split("[")[0] in replace_paths
            )
            else ""
        )
        before = get(old, path)
        after = get(new, path)
        if kind.startswith("update (new id)"):
            after = "(new id after its replacement)"
        rows.append(f"| {_code(path)}{mark} | {_value(before, path)} | {_value(after, path)} |")
    if len(paths) > MAX_ROWS:
        rows.append(f"| … and {len(paths) - MAX_ROWS} more properties | | |")
    return rows if len(rows) > 2 else []


def _inputs_table(inputs: Mapping[str, Any]) -> list[str]:
    leaves = list(flatten(redact_value(inputs)))
    if not leaves or leaves == [("", {})]:
        return []
    rows = ["| input | value |", "|---|---|"]
    for path, value in leaves[:MAX_ROWS]:
        rows.append(f"| {_code(path)} | {_value(value, path)} |")
    if len(leaves) > MAX_ROWS:
        rows.append(f"| … and {len(leaves) - MAX_ROWS} more inputs | |")
    return rows


def _block(c: ResourceChange, heading: str) -> str:
    flags = []
    if c.protect:
        flags.append("protected")
    if c.predicted:
        flags.append("predicted")
    title = f"{heading} {c.op} {_code(c.name)} — {c.short_type}" + (
        f" ({', '.join(flags)})" if flags else ""
    )
    lines = [title, ""]
    meta = f"type {_code(c.type)}" + (f" · parent {_code(c.parent)}" if c.parent else "")
    lines.append(meta)
    if c.replace_reasons and not c.forcenew:
        lines.append("- **replaced because of:** " + ", ".join(_code(r) for r in c.replace_reasons))
    for hit in c.forcenew:
        lines.append(f"- **forces replacement:** {_code(hit.path)} — {hit.source}")
    if c.cascade:
        lines.append("- **takes the new id of:** " + ", ".join(_code(n) for n in c.cascade))
    if c.diff_reasons and not c.diff_paths:
        lines.append("- **changed:** " + ", ".join(_code(r) for r in c.diff_reasons))
    if c.protect and c.destructive and not c.predicted:
        lines.append(
            "- the resource is protected: `pulumi up` will refuse this until protection is lifted"
        )
    table: list[str]
    if c.op == "create":
        table = _inputs_table(c.new_inputs or {})
    elif c.op == "delete":
        table = _inputs_table(c.old_inputs or {})
    else:
        table = _diff_table(c)
    if table:
        lines += ["", *table]
    return "\n".join(lines) + "\n"


class _Budget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.cut: Counter[str] = Counter()

    def fits(self, text: str) -> bool:
        return self.size + len(text) + _NOTE_RESERVE <= self.limit

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def section(self, header: str, blocks: list[str], footer: str, label: str) -> None:
        if not blocks:
            return
        if not self.fits(header + blocks[0] + footer):
            self.cut[label] += len(blocks)
            return
        self.add(header)
        for block in blocks:
            if self.fits(block + footer):
                self.add(block)
            else:
                self.cut[label] += 1
        self.add(footer)


def render(review: Review, *, limit: int = DEFAULT_LIMIT) -> str:
    """The comment body, at most `limit` characters (GitHub allows 65,536)."""
    limit = min(limit, GITHUB_COMMENT_LIMIT)
    heads = headlines(review)
    top_sev, top = heads[0]
    head = [f"### {_ICON[top_sev]} {top[0].upper()}{top[1:]}", ""]
    head += [f"- {_ICON[sev]} {text}" for sev, text in heads[1:]]
    if len(heads) > 1:
        head.append("")
    counts = Counter(c.op for c in review.changes)
    summary = " · ".join(f"{counts[op]} {op}" for op in sorted(counts, key=_op_rank))
    head.append(
        f"**{review.source}:** " + (summary or "no changes") + f" · {review.unchanged} unchanged"
    )
    head.append("")
    head += [f"> {note}" for note in review.notes]
    if review.notes:
        head.append("")
    if review.impacts:
        head += ["#### GPU impact", "", _impact_table(review.impacts), ""]
    else:
        head += ["No GPU pool is touched.", ""]
    budget = _Budget(limit)
    head_text = "\n".join(head) + "\n"
    if not budget.fits(head_text):
        keep = max(0, limit - _NOTE_RESERVE)
        budget.add(head_text[:keep] + "\n")
        budget.cut["lines of the summary"] += head_text[keep:].count("\n")
    else:
        budget.add(head_text)

    dangerous = [c for c in review.changes if c.dangerous]
    budget.section(
        f"#### ⚠️ Dangerous operations ({len(dangerous)})\n\n",
        [_block(c, "#####") + "\n" for c in dangerous],
        "",
        "dangerous operations",
    )
    diags = [d for d in review.diagnostics if d.severity in ("error", "info#err", "warning")]
    budget.section(
        "#### Engine diagnostics\n\n",
        [
            f"- **{d.severity}**"
            + (f" {_code(d.urn.rsplit('::', 1)[-1])}" if d.urn else "")
            + ": "
            + _value(d.message)
            + "\n"
            for d in diags
        ],
        "\n",
        "diagnostics",
    )
    for title, body in review.extra_sections:
        budget.section(f"#### {title}\n\n", [body + "\n"], "", title)
    rest = [c for c in review.changes if not c.dangerous]
    for op in sorted({c.op for c in rest}, key=_op_rank):
        group = [c for c in rest if c.op == op]
        budget.section(
            f"<details><summary><b>{op}</b> ({len(group)})</summary>\n\n",
            [_block(c, "**").replace(f"** {op} ", f"**{op}** ", 1) + "\n" for c in group],
            "</details>\n\n",
            f"{op}s",
        )
    if budget.cut:
        what = ", ".join(f"{n} {label}" for label, n in sorted(budget.cut.items()))
        budget.parts.append(
            f"\n> ✂️ **Cut to stay under GitHub's {GITHUB_COMMENT_LIMIT:,}-character comment "
            f"limit:** {what} not shown. Run the same `gpufleet` command locally for "
            "everything.\n"
        )
    text = "".join(budget.parts).rstrip() + "\n"
    return text[:limit]


def _op_rank(op: str) -> tuple[int, str]:
    return (_GROUP_ORDER.index(op) if op in _GROUP_ORDER else len(_GROUP_ORDER), op)
