"""Parse `pulumi preview --json` (the engine's PreviewDigest) into typed changes.

Tolerates what real documents omit (config, diagnostics, detailedDiff: all omitempty; see
facts/pulumi.md 3.1), unknown resource types and missing fields; anything that is not a
PreviewDigest at all raises ReviewInputError with what was expected.

    >>> t = "random:index/randomId:RandomId"
    >>> doc = {"steps": [{"op": "create", "urn": f"urn:pulumi:s::p::{t}::x",
    ...                   "newState": {"type": t, "inputs": {}}}]}
    >>> [(c.op, c.name) for c in parse_preview(doc).changes]
    [('create', 'x')]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bootstrap.review.model import (
    QUIET_OPS,
    Diagnostic,
    ResourceChange,
    Review,
    ReviewInputError,
)
from bootstrap.review.paths import changed_paths
from infra.input_file import InputFileError, TooDeepError, parse_json, read_text

# `pulumi preview --json` of a stack with thousands of nodes runs to tens of MB (inputs and
# diffs of every step); 256 MB is past any real one and still bounded.
MAX_PREVIEW_BYTES = 256 << 20

_OP_ORDER = ("delete", "replace", "create-replacement", "delete-replaced", "update", "create")


@dataclass(frozen=True)
class ParsedPreview:
    changes: tuple[ResourceChange, ...]
    unchanged: int
    change_summary: dict[str, int]
    diagnostics: tuple[Diagnostic, ...]


def load_json(path: str | Path, what: str) -> Any:
    try:
        text = read_text(Path(path), what, MAX_PREVIEW_BYTES)
        return parse_json(text)
    except InputFileError as exc:
        raise ReviewInputError(str(exc)) from None
    except TooDeepError as exc:
        raise ReviewInputError(f"{path}: the {what} is refused: {exc}") from None
    except json.JSONDecodeError as exc:
        hint = ""
        if text.lstrip().startswith(("Previewing", "Updating", "@")):
            hint = " (this looks like text output: run `pulumi preview --json`)"
        raise ReviewInputError(
            f"{path}: the {what} is not JSON: {exc.msg} at line {exc.lineno}{hint}"
        ) from None


def urn_parts(urn: str) -> tuple[str, str]:
    """(type, name) from `urn:pulumi:stack::project::parent$type::name`; ('', '') if odd."""
    parts = urn.split("::")
    if len(parts) < 4 or not urn.startswith("urn:pulumi:"):
        return "", urn
    type_chain, name = parts[2], "::".join(parts[3:])
    return type_chain.rsplit("$", 1)[-1], name


def _state(step: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    state = step.get(key)
    return state if isinstance(state, Mapping) else None


def _inputs(state: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if state is None:
        return None
    inputs = state.get("inputs")
    return inputs if isinstance(inputs, Mapping) else {}


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(sorted(str(v) for v in value)) if isinstance(value, list) else ()


def _parent_name(state: Mapping[str, Any] | None) -> str | None:
    parent = state.get("parent") if state else None
    if not isinstance(parent, str) or not parent:
        return None
    ptype, pname = urn_parts(parent)
    return None if ptype == "pulumi:pulumi:Stack" else pname


def _step(step: Any, index: int) -> ResourceChange:
    if not isinstance(step, Mapping):
        raise ReviewInputError(f"steps[{index}] is {type(step).__name__}, expected an object")
    op = step.get("op")
    urn = step.get("urn")
    if not isinstance(op, str) or not op:
        raise ReviewInputError(f"steps[{index}] has no 'op' (expected e.g. create, update)")
    old, new = _state(step, "oldState"), _state(step, "newState")
    urn = urn if isinstance(urn, str) else str((new or old or {}).get("urn", ""))
    utype, name = urn_parts(urn)
    rtype = str((new or old or {}).get("type") or utype or "unknown")
    old_inputs, new_inputs = _inputs(old), _inputs(new)
    detailed = step.get("detailedDiff")
    if isinstance(detailed, Mapping) and detailed:
        diff_paths = tuple(
            sorted(
                (str(path), str(d.get("kind", "update")) if isinstance(d, Mapping) else "update")
                for path, d in detailed.items()
            )
        )
    elif op in ("update", "replace", "create-replacement") and old_inputs is not None:
        # detailedDiff is null for native providers (random, tls): compare the inputs.
        diff_paths = tuple(changed_paths(old_inputs, new_inputs))
    else:
        diff_paths = ()
    return ResourceChange(
        op=op,
        type=rtype,
        name=name or f"steps[{index}]",
        urn=urn,
        parent=_parent_name(new or old),
        old_inputs=old_inputs,
        new_inputs=new_inputs,
        protect=bool((new or {}).get("protect") or (old or {}).get("protect")),
        diff_paths=diff_paths,
        replace_reasons=_strings(step.get("replaceReasons")),
        diff_reasons=_strings(step.get("diffReasons")),
    )


def parse_preview(doc: Any) -> ParsedPreview:
    if not isinstance(doc, Mapping):
        raise ReviewInputError(
            f"expected a `pulumi preview --json` object with 'steps', got {type(doc).__name__}"
        )
    known = {"steps", "changeSummary", "diagnostics", "config", "duration", "maybeCorrupt"}
    if not known & set(doc):
        raise ReviewInputError(
            "not a `pulumi preview --json` document: none of steps / changeSummary / "
            f"diagnostics present (keys: {', '.join(sorted(map(str, doc))[:8]) or 'none'})"
        )
    steps = doc.get("steps") or []
    if not isinstance(steps, list):
        raise ReviewInputError(f"'steps' is {type(steps).__name__}, expected a list")
    changes, quiet = [], 0
    for i, raw in enumerate(steps):
        change = _step(raw, i)
        if change.op in QUIET_OPS:
            quiet += 1
            continue
        changes.append(change)
    summary_raw = doc.get("changeSummary")
    summary = (
        {str(k): int(v) for k, v in summary_raw.items() if isinstance(v, int)}
        if isinstance(summary_raw, Mapping)
        else {}
    )
    # "same" steps are listed only with --show-sames; the summary counts them all.
    unchanged = max(quiet, summary.get("same", 0))
    diags = []
    for d in doc.get("diagnostics") or []:
        if isinstance(d, Mapping) and d.get("message"):
            diags.append(
                Diagnostic(
                    str(d.get("severity") or "info"),
                    str(d["message"]).strip(),
                    str(d.get("urn") or ""),
                )
            )
    return ParsedPreview(tuple(sorted(changes, key=sort_key)), unchanged, summary, tuple(diags))


def sort_key(change: ResourceChange) -> tuple[int, str, str]:
    rank = _OP_ORDER.index(change.op) if change.op in _OP_ORDER else len(_OP_ORDER)
    return rank, change.type, change.name


def review_preview(doc: Any, plan_manifest: Any = None) -> Review:
    """A Review of a preview; `plan_manifest` (`gpufleet plan --json` of the same config)
    supplies the shapes and sizes of pool resources the preview lists as unchanged."""
    from bootstrap.review.impact import Resource, impacts_from_changes

    parsed = parse_preview(doc)
    baseline = None
    notes = []
    if plan_manifest is not None:
        resources = plan_manifest.get("resources") if isinstance(plan_manifest, Mapping) else None
        if not isinstance(resources, list):
            raise ReviewInputError(
                "the plan is not a `gpufleet plan --json` manifest (no 'resources' list)"
            )
        baseline = {
            str(r["name"]): Resource(
                str(r.get("type", "")), str(r["name"]), r.get("inputs") or {}, r.get("parent")
            )
            for r in resources
            if isinstance(r, Mapping) and "name" in r
        }
    elif any(c.type.startswith("oci:Core/") for c in parsed.changes):
        notes.append(
            "No --plan given: shapes and sizes of pool resources the preview does "
            "not list are unknown (n/a)."
        )
    return Review(
        source="pulumi preview",
        changes=parsed.changes,
        unchanged=parsed.unchanged,
        impacts=impacts_from_changes(parsed.changes, baseline),
        diagnostics=parsed.diagnostics,
        notes=tuple(notes),
    )
