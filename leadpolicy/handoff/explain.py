"""A decision (docs/language-reference.md, "The decision") explained in words, for people.

Scores are shown rounded to two decimals, always with both digits so the
columns line up (`162.50`); the JSON decision keeps the exact float.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Optional

# Each says the decision's `change` value itself, as `--json` and `score` write it, and what the
# less plain ones mean (it said `first placement` and `no change` for `new` and `unchanged`).
CHANGE_WORDS = {
    "new": "new (first placement)",
    "unchanged": "unchanged",
    "promoted": "promoted",
    "demoted": "demoted",
    "disqualified": "disqualified",
    "requalified": "requalified after disqualification",
}


def reason_text(decision: dict[str, Any]) -> str:
    reason = decision["reason"]
    kind, stage, rule = reason["kind"], reason["stage"], reason["rule"]
    if kind == "qualified":
        return f"meets the entry criteria of `{stage}` and of no higher stage"
    if kind == "held":
        return f"stays at `{stage}`: stages are sticky and no demotion rule fired"
    if kind == "demoted":
        return f"demoted to `{stage}`; the last demotion rule that fired was \"{rule}\""
    return f"disqualified by \"{rule}\""


def fixed(value: float) -> str:
    """Two decimals; a value that rounds to zero is `0.00`, never `-0.00`."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def signed_score(value: float) -> str:
    """A decision's points for people: sign and two decimals ("+12.50", "0.00")."""
    text = fixed(value)
    return text if text.startswith("-") or text == "0.00" else "+" + text


def lead_label(lead_id: object) -> str:
    """`lead L-1001`; an id that is not text shows as its JSON (`lead {"crm": 7}`). On its one line
    (`line_text`): an id holding a newline started a line of the explanation of its own, which could
    read `stage sql (was mql): promoted` above the real one."""
    from leadpolicy.syntax.diagnostics import line_text

    if lead_id is None:
        return "lead"
    return f"lead {line_text(lead_id if isinstance(lead_id, str) else json.dumps(lead_id, ensure_ascii=False, default=str))}"


def moment_text(moment: datetime) -> str:
    """An evaluation time as ISO 8601 in UTC: `2026-11-22T00:00:00Z`."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def explain(decision: dict[str, Any], lead_id: object = None, as_of: Optional[datetime] = None) -> str:
    """Several lines: the stage and change, the evaluation time (when given), the
    reason, scores, grade, every hit."""
    who = lead_label(lead_id)
    previous = decision["previous_stage"]
    change = CHANGE_WORDS.get(decision["change"], decision["change"])
    since = f" (was {previous})" if previous else ""
    lines = [
        f"{decision['policy']} {decision['version']}: {who}",
        f"  stage       {decision['stage']}{since}: {change}",
        *([f"  as of       {moment_text(as_of)}"] if as_of is not None else []),
        f"  reason      {reason_text(decision)}",
        f"  engagement  {fixed(decision['engagement'])}",
        f"  fit         {fixed(decision['fit'])}",
        f"  grade       {decision['grade'] if decision['grade'] is not None else '(none)'}",
    ]
    hits = decision["hits"]
    if not hits:
        lines.append("  hits        none: no rule contributed points")
        return "\n".join(lines)
    lines.append("  hits")
    width = max(len(h["rule"]) for h in hits)
    for hit in hits:
        if hit["section"] == "engagement":
            count = hit["count"]
            detail = f"engagement, {count} activit{'y' if count == 1 else 'ies'}"
        else:
            detail = f"fit, {hit['group']}" if hit.get("group") else "fit"
        lines.append(f"    {signed_score(hit['points']):>9}  {hit['rule']:<{width}}  ({detail})")
    return "\n".join(lines)
