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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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

# GitHub refuses an issue or PR comment body over 65,536 characters ("Body is too long
# (maximum is 65536 characters)"; the REST API documents the same cap for comment bodies).
GITHUB_COMMENT_LIMIT = 65_536
# Leaves room for the sticky-comment marker and heading the workflow puts above it.
DEFAULT_LIMIT = 65_000
_NOTE_RESERVE = 800
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


def _block(c: ResourceChange, heading: str, *, table: bool = True) -> str:
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
    rows: list[str]
    if not table:
        rows = []
    elif c.op == "create":
        rows = _inputs_table(c.new_inputs or {})
    elif c.op == "delete":
        rows = _inputs_table(c.old_inputs or {})
    else:
        rows = _diff_table(c)
    if rows:
        lines += ["", *rows]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Detail:
    """How much of a review is shown; the ladder below leaves out the least important first."""

    unchanged_pools: bool = True  # impact-table rows of pools nothing happens to
    update_tables: bool = True  # property tables of routine updates
    input_tables: bool = True  # input tables of routine creates and deletes
    routine_blocks: bool = True  # False: routine changes one line each
    dangerous_tables: bool = True  # property tables of dangerous operations


# Each step leaves out one more kind of detail: unchanged first, then updates' property tables.
LADDER: tuple[Detail, ...] = (
    Detail(),
    Detail(unchanged_pools=False),
    Detail(unchanged_pools=False, update_tables=False),
    Detail(unchanged_pools=False, update_tables=False, input_tables=False),
    Detail(False, False, False, routine_blocks=False),
    Detail(False, False, False, routine_blocks=False, dangerous_tables=False),
)


def _unchanged(i: PoolImpact) -> bool:
    return i.disruption is Disruption.NONE and i.nodes_before == i.nodes_after


def _left_out(reviews: Sequence[Review], detail: Detail) -> list[str]:
    """What `detail` leaves out of `reviews`, counted, for the note under the comment."""
    changes = [c for r in reviews for c in r.changes]
    routine = [c for c in changes if not c.dangerous]
    counts = [
        (
            not detail.unchanged_pools,
            sum(_unchanged(i) for r in reviews for i in r.impacts),
            "impact-table rows of {}",
            "unchanged pool",
        ),
        (
            not detail.update_tables and detail.routine_blocks,
            sum(c.op == "update" for c in routine),
            "property tables of {}",
            "update",
        ),
        (
            not detail.input_tables and detail.routine_blocks,
            sum(c.op in ("create", "delete") for c in routine),
            "input tables of {}",
            "routine create or delete",
        ),
        (
            not detail.routine_blocks,
            len(routine),
            "details of {} (listed one line each)",
            "routine change",
        ),
        (
            not detail.dangerous_tables,
            sum(c.dangerous for c in changes),
            "property tables of {}",
            "dangerous operation",
        ),
    ]
    return [
        label.format(f"{n:,} {what}" if n == 1 else f"{n:,} {what}s")
        for dropped, n, label, what in counts
        if dropped and n
    ]


class _Budget:
    """Parts of the comment, each added only when the rest still fits under the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.cut: Counter[str] = Counter()
        self.critical_cut = False  # something other than routine changes did not fit
        self.reserve = 0  # kept free for the stacks still to come

    def fits(self, text: str) -> bool:
        return self.size + len(text) + _NOTE_RESERVE + self.reserve <= self.limit

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def section(
        self, header: str, blocks: list[str], footer: str, label: str, *, routine: bool = False
    ) -> None:
        """`header`, as many `blocks` as fit, then `footer` (it closes what `header` opens)."""
        if not blocks:
            return
        before = sum(self.cut.values())
        if not self.fits(header + blocks[0] + footer):
            self.cut[label] += len(blocks)
        else:
            self.add(header)
            for block in blocks:
                if self.fits(block + footer):
                    self.add(block)
                else:
                    self.cut[label] += 1
            self.add(footer)
        if sum(self.cut.values()) > before and not routine:
            self.critical_cut = True


def _head(review: Review, detail: Detail, heading: str) -> str:
    heads = headlines(review)
    top_sev, top = heads[0]
    head = [f"{heading} {_ICON[top_sev]} {top[0].upper()}{top[1:]}", ""]
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
    impacts = [i for i in review.impacts if detail.unchanged_pools or not _unchanged(i)]
    if review.impacts:
        head += [f"{heading}# GPU impact", "", _impact_table(impacts)]
        hidden = len(review.impacts) - len(impacts)
        if hidden:
            head.append(f"<sub>{_plural(hidden, 'unchanged pool')} not listed.</sub>")
        head.append("")
    else:
        head += ["No GPU pool is touched.", ""]
    return "\n".join(head) + "\n"


def _body(
    review: Review, detail: Detail, budget: _Budget, heading: str, *, routine: bool = True
) -> None:
    """Append one review; with `routine=False` only what is never cut before routine changes."""
    head_text = _head(review, detail, heading)
    if not budget.fits(head_text):
        keep = max(0, budget.limit - budget.size - _NOTE_RESERVE)
        lines = head_text[:keep].split("\n")[:-1]  # whole lines only: no half table row
        budget.add("\n".join(lines) + "\n")
        budget.cut["lines of the summary"] += head_text.count("\n") - len(lines)
        budget.critical_cut = True
    else:
        budget.add(head_text)

    dangerous = [c for c in review.changes if c.dangerous]
    budget.section(
        f"{heading}# ⚠️ Dangerous operations ({len(dangerous)})\n\n",
        [_block(c, f"{heading}##", table=detail.dangerous_tables) + "\n" for c in dangerous],
        "",
        "dangerous operations",
    )
    diags = [d for d in review.diagnostics if d.severity in ("error", "info#err", "warning")]
    budget.section(
        f"{heading}# Engine diagnostics\n\n",
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
        budget.section(f"{heading}# {title}\n\n", [body + "\n"], "", title)
    rest = [c for c in review.changes if not c.dangerous] if routine else []
    for op in sorted({c.op for c in rest}, key=_op_rank):
        group = [c for c in rest if c.op == op]
        footer = "</details>\n\n"
        if detail.routine_blocks:
            table = detail.update_tables if op == "update" else detail.input_tables
            blocks = [
                _block(c, "**", table=table).replace(f"** {op} ", f"**{op}** ", 1) + "\n"
                for c in group
            ]
        else:
            blocks = [f"- {_code(c.name)} — {c.short_type}\n" for c in group]
            footer = "\n" + footer  # a blank line ends the list before the closing tag
        budget.section(
            f"<details><summary><b>{op}</b> ({len(group)})</summary>\n\n",
            blocks,
            footer,
            f"{op}s",
            routine=True,
        )


def _note(left_out: list[str], cut: Counter[str]) -> str:
    if not left_out and not cut:
        return ""
    what = left_out + [f"{n:,} {label} not listed" for label, n in sorted(cut.items())]
    return (
        f"\n> ✂️ **Left out to stay under GitHub's {GITHUB_COMMENT_LIMIT:,}-character comment "
        f"limit:** {'; '.join(what)}. Run the same `gpufleet` command locally for everything.\n"
    )


def render_stacks(reviews: Sequence[tuple[str, Review]], *, limit: int = DEFAULT_LIMIT) -> str:
    """One comment for several stacks (`name`, review) under one budget of `limit` characters.

    The first detail level of LADDER that fits wins, the same level for every stack. At the
    one-line level, routine changes that still do not fit are cut from the end of their
    group before any dangerous operation loses its table; past the last level whole blocks
    are cut. Every `<details>` opened is closed, and a note says what was left out.
    """
    limit = min(limit, GITHUB_COMMENT_LIMIT)
    many = len(reviews) > 1
    budget = _Budget(limit)
    for detail in LADDER:
        # What each stack needs before any routine change, so an early stack's routine
        # changes never push a later stack's headline or dangerous operations out.
        critical = []
        for name, review in reviews:
            dry = _Budget(10**9)
            if many:
                dry.add(f"## Stack {_code(name)}\n\n")
            _body(review, detail, dry, "###", routine=False)
            critical.append(dry.size)
        budget = _Budget(limit)
        for index, (name, review) in enumerate(reviews):
            budget.reserve = sum(critical[index + 1 :])
            if many:
                budget.add(f"## Stack {_code(name)}\n\n")
            _body(review, detail, budget, "###")
        budget.reserve = 0
        if not budget.cut or (not detail.routine_blocks and not budget.critical_cut):
            break
    note = _note(_left_out([r for _, r in reviews], detail), budget.cut)
    return ("".join(budget.parts).rstrip() + "\n" + note).rstrip() + "\n"


def render(review: Review, *, limit: int = DEFAULT_LIMIT) -> str:
    """The comment body for one review, at most `limit` characters (GitHub allows 65,536)."""
    return render_stacks([("", review)], limit=limit)


def _op_rank(op: str) -> tuple[int, str]:
    return (_GROUP_ORDER.index(op) if op in _GROUP_ORDER else len(_GROUP_ORDER), op)
