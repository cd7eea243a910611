"""A decision (LANGUAGE.md section 7) explained in words, for people."""

from __future__ import annotations

CHANGE_WORDS = {
    "new": "first placement",
    "unchanged": "no change",
    "promoted": "promoted",
    "demoted": "demoted",
    "disqualified": "disqualified",
    "requalified": "requalified after disqualification",
}


def reason_text(decision: dict) -> str:
    reason = decision["reason"]
    kind, stage, rule = reason["kind"], reason["stage"], reason["rule"]
    if kind == "qualified":
        return f"meets the entry criteria of `{stage}` and of no higher stage"
    if kind == "held":
        return f"stays at `{stage}`: stages are sticky and no demotion rule fired"
    if kind == "demoted":
        return f"demoted to `{stage}`; the last demotion rule that fired was \"{rule}\""
    return f"disqualified by \"{rule}\""


def signed_score(value: float) -> str:
    """A decision's points for people: sign and two decimals ("+12.50")."""
    return f"{value:+.2f}"


def explain(decision: dict, lead_id: object = None) -> str:
    """Several lines: the stage and change, scores, grade, reason, every hit."""
    who = f"lead {lead_id}" if lead_id is not None else "lead"
    previous = decision["previous_stage"]
    change = CHANGE_WORDS.get(decision["change"], decision["change"])
    since = f" (was {previous})" if previous else ""
    lines = [
        f"{decision['policy']} {decision['version']}: {who}",
        f"  stage       {decision['stage']}{since}: {change}",
        f"  reason      {reason_text(decision)}",
        f"  engagement  {decision['engagement']:.2f}",
        f"  fit         {decision['fit']:.2f}",
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
