"""Offline diff: compare two `gpufleet plan` manifests (base branch vs pull request).

No credentials and no state, so it works for pull requests from forks. It cannot know live
drift or every provider rule; it predicts replacements from `forcenew.RULES` and follows them
through ids: the offline plan gives every resource the id `<name>-id`, so a resource whose
input holds a replaced resource's id at a ForceNew path is replaced too (an image change
replaces the instance configuration; a cluster network then updates in place).

Resource options the engine applies are honoured as the engine does: `ignore_changes` paths
never show a change (nor a cascade through them), and a changed `replacement_trigger`
replaces the resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bootstrap.review import forcenew
from bootstrap.review.impact import Resource, pool_impacts
from bootstrap.review.model import ForceNewHit, ResourceChange, Review, ReviewInputError
from bootstrap.review.paths import changed_paths, flatten
from bootstrap.review.preview import sort_key

Key = tuple[str, str]


def _index(manifest: Any, label: str) -> dict[Key, Mapping[str, Any]]:
    if not isinstance(manifest, Mapping) or not isinstance(manifest.get("resources"), list):
        raise ReviewInputError(
            f"{label}: expected a `gpufleet plan --json` manifest with a 'resources' list"
        )
    out: dict[Key, Mapping[str, Any]] = {}
    for i, res in enumerate(manifest["resources"]):
        if (
            not isinstance(res, Mapping)
            or not isinstance(res.get("type"), str)
            or not isinstance(res.get("name"), str)
        ):
            raise ReviewInputError(f"{label}: resources[{i}] needs 'type' and 'name' strings")
        out[(res["type"], res["name"])] = res
    return out


def _inputs(res: Mapping[str, Any]) -> Mapping[str, Any]:
    inputs = res.get("inputs")
    return inputs if isinstance(inputs, Mapping) else {}


def _references(inputs: Mapping[str, Any], ids: set[str]) -> list[tuple[str, str]]:
    return [
        (path, value) for path, value in flatten(inputs) if isinstance(value, str) and value in ids
    ]


def diff_manifests(base: Any, head: Any) -> Review:
    old, new = _index(base, "base"), _index(head, "head")
    changes: dict[Key, ResourceChange] = {}
    for key in sorted(set(old) | set(new)):
        rtype, name = key
        before, after = old.get(key), new.get(key)
        if before is None:
            assert after is not None
            changes[key] = ResourceChange(
                "create",
                rtype,
                name,
                parent=after.get("parent"),
                new_inputs=_inputs(after),
                protect=bool(after.get("protect")),
            )
            continue
        if after is None:
            changes[key] = ResourceChange(
                "delete",
                rtype,
                name,
                parent=before.get("parent"),
                old_inputs=_inputs(before),
                protect=bool(before.get("protect")),
            )
            continue
        diff = changed_paths(_inputs(before), _inputs(after))
        triggered = _trigger_fires(before, after)
        if not triggered:
            # the engine diffs ignored paths against the old state: no change there
            diff = [(p, k) for p, k in diff if not _ignored(after, p)]
        protect_changed = bool(before.get("protect")) != bool(after.get("protect"))
        if not diff and not protect_changed and not triggered:
            continue
        hits = forcenew.hits(rtype, [p for p, _ in diff])
        if triggered:
            hits += (_trigger_hit(before, after),)
            diff = [*diff, ("(replacement_trigger)", "update")]
        changes[key] = ResourceChange(
            "replace" if hits else "update",
            rtype,
            name,
            parent=after.get("parent"),
            old_inputs=_inputs(before),
            new_inputs=_inputs(after),
            protect=bool(after.get("protect")) or bool(before.get("protect")),
            diff_paths=tuple(diff) + ((("(protect)", "update"),) if protect_changed else ()),
            replace_reasons=tuple(sorted({h.rule for h in hits})),
            predicted=bool(hits),
            forcenew=hits,
        )
    _cascade(changes, new)
    unchanged = len(set(old) & set(new)) - sum(
        1 for k, c in changes.items() if c.op in ("update", "replace")
    )
    before_map = {k[1]: Resource(k[0], k[1], _inputs(v), v.get("parent")) for k, v in old.items()}
    after_map = {k[1]: Resource(k[0], k[1], _inputs(v), v.get("parent")) for k, v in new.items()}
    replaced = {c.name for c in changes.values() if c.op == "replace"}
    impacts = pool_impacts(before_map, after_map, replaced, {c.name for c in changes.values()})
    return Review(
        source="offline plan diff",
        changes=tuple(sorted(changes.values(), key=sort_key)),
        unchanged=unchanged,
        impacts=impacts,
        notes=(
            "Predicted offline from the stack configs (no state, no credentials): "
            "replacements come from the provider's ForceNew rules cited below; a "
            "`pulumi preview` against the real stack is the authority.",
        ),
    )


def _ignored(res: Mapping[str, Any], path: str) -> bool:
    """Is `path` under one of the resource's `ignore_changes` paths (wire names)?"""
    return any(
        path == ig or path.startswith((ig + ".", ig + "["))
        for ig in res.get("ignore_changes") or ()
    )


def _trigger_fires(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """pulumi/pulumi step_generator.go shouldTriggerReplace: null on either side never fires."""
    old, new = before.get("replacement_trigger"), after.get("replacement_trigger")
    return old is not None and new is not None and old != new


def _trigger_hit(before: Mapping[str, Any], after: Mapping[str, Any]) -> ForceNewHit:
    return ForceNewHit(
        "(replacement_trigger)",
        "replacement_trigger",
        f"the replacement_trigger option changed ({before.get('replacement_trigger')} -> "
        f"{after.get('replacement_trigger')}): the engine replaces the resource — pulumi/pulumi "
        "pkg/resource/deploy/step_generator.go shouldTriggerReplace",
    )


def _cascade(changes: dict[Key, ResourceChange], new: dict[Key, Mapping[str, Any]]) -> None:
    """Resources that take a replaced resource's new id at a ForceNew path are replaced too."""
    while True:
        replaced_ids = {f"{c.name}-id": c.name for c in changes.values() if c.op == "replace"}
        grew = False
        for key, res in new.items():
            current = changes.get(key)
            if current is not None and current.op in ("create", "replace"):
                continue
            refs = [
                (p, v)
                for p, v in _references(_inputs(res), set(replaced_ids))
                if not _ignored(res, p)
            ]
            if not refs:
                continue
            hits = forcenew.hits(key[0], [p for p, _ in refs])
            cascade = tuple(sorted({replaced_ids[v] for _, v in refs}))
            extra = tuple((p, "update (new id)") for p, _ in refs)
            if current is not None and set(current.cascade) >= set(cascade) and not hits:
                continue
            base = current or ResourceChange(
                "update",
                key[0],
                key[1],
                parent=res.get("parent"),
                old_inputs=_inputs(res),
                new_inputs=_inputs(res),
                protect=bool(res.get("protect")),
            )
            diff = tuple(sorted(set(base.diff_paths) | set(extra)))
            all_hits = base.forcenew + hits
            changes[key] = ResourceChange(
                "replace" if all_hits else "update",
                key[0],
                key[1],
                parent=base.parent,
                old_inputs=base.old_inputs,
                new_inputs=base.new_inputs,
                protect=base.protect,
                diff_paths=diff,
                replace_reasons=tuple(sorted({h.rule for h in all_hits})),
                predicted=bool(all_hits),
                forcenew=all_hits,
                cascade=cascade,
            )
            grew = grew or bool(hits) or current is None
        if not grew:
            return
