"""The cluster's power draw before -> after against its budget, from two plan summaries.

power_markdown(base_summary, head_summary) ->
"### Power\n\n| pool | kW before | kW after |\n...| total | 20.4 | 40.8 |\n\nbudget: ..."
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _kw(value: Any) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def power_markdown(base: Mapping[str, Any], head: Mapping[str, Any]) -> str:
    """kW per pool and in total (maximum node power, GPU caps applied), and the budget."""
    before = {p["name"]: p.get("kw") for p in base.get("pools", [])}
    after = {p["name"]: p.get("kw") for p in head.get("pools", [])}
    if not before and not after:
        return ""
    lines = ["", "### Power", "", "| pool | kW before | kW after |", "| --- | ---: | ---: |"]
    for name in sorted(set(before) | set(after)):
        lines.append(f"| `{name}` | {_kw(before.get(name))} | {_kw(after.get(name))} |")
    lines.append(f"| **total** | {_kw(base.get('total_kw'))} | {_kw(head.get('total_kw'))} |")
    budget, total = head.get("power_budget_kw"), head.get("total_kw")
    if budget is not None and total is not None:
        lines += ["", f"Budget: {total:,.1f} kW of {budget:,.1f} kW ({total / budget:.0%})."]
    elif budget is not None:
        lines += [
            "",
            f"Budget {budget:,.1f} kW: the total is unknown (a shape has no power figure).",
        ]
    return "\n".join(lines) + "\n"
