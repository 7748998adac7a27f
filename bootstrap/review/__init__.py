"""PR review: what a change does to GPU pools, rendered as one Markdown comment.

Data flows one way:

    pulumi preview --json ──parse_preview──┐
                                           ├─> [ResourceChange] ─> pool impact ─> Markdown
    plan manifests (base, head) ─diff──────┘        (model)        (impact)       (markdown)

`preview.py` reads the engine's PreviewDigest; `offline.py` compares two `gpufleet plan`
manifests and predicts replacements from `forcenew.py` (each rule cites the provider source);
`impact.py` turns changes into nodes / GPUs / $ / kW before and after per pool; `markdown.py`
renders, worst thing first, bounded under GitHub's comment limit; `redact.py` keeps secrets out.
"""

from bootstrap.review.model import Review, ReviewInputError

__all__ = ["Review", "ReviewInputError"]
