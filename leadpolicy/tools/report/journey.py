"""One lead's journey: the replay as a timeline (`leadpolicy eval --journey`)."""

from __future__ import annotations

from typing import Any, Optional

from leadpolicy.semantics.runtime import read_as_of
from leadpolicy.tools.report.outcomes import read_created
from leadpolicy.tools.report.replay import TimeModel, iso, replay


def journey(policy: Any, lead: dict[str, Any], as_of: Optional[str]) -> dict[str, Any]:
    """The stage changes of one lead from its first touch (or created_at) to as_of.
    Raises LeadDataError."""
    lead_id = lead.get("id")
    end = read_as_of(as_of)
    created = read_created(lead.get("created_at"), lead_id)
    result = replay(policy, TimeModel.of(policy.tree), lead.get("fields"), lead.get("activities"),
                    created, end, lead_id, keep_steps=True)
    return {"id": lead_id, "policy": policy.name, "version": policy.version, "from": iso(result.start),
            "as_of": iso(end), "stage": result.final["stage"],
            "first_reached": {stage: iso(at) for stage, at in result.first_reached.items()},
            "demoted_at": iso(result.demoted_at), "disqualified_at": iso(result.disqualified_at),
            "steps": [step.to_dict() for step in result.steps]}


def timeline(data: dict[str, Any]) -> str:
    """The journey for people: one line per stage change."""
    from leadpolicy.syntax.diagnostics import line_text

    lines = [f"Journey of {line_text(data['id'] or 'the lead')} under {data['policy']} {data['version']}, "
             f"from {data['from']} to {data['as_of']}:"]
    for step in data["steps"]:
        before = ("" if step["engagement_before"] is None
                  else f"engagement {step['engagement_before']:.2f} -> {step['engagement']:.2f}, fit {step['fit_before']:.2f} -> {step['fit']:.2f}")
        if not before:
            before = f"engagement {step['engagement']:.2f}, fit {step['fit']:.2f}"
        rule = step["reason"]["rule"]
        why = f"{step['cause']}: {step['detail']}" + (f"; rule \"{rule}\"" if rule else "")
        lines.append(f"  {step['at']}  {step['previous_stage'] or '(none)'} -> {step['stage']} ({step['change']})")
        lines.append(f"      cause  {why}")
        lines.append(f"      scores {before}")
    lines.append(f"Now: {data['stage']}.")
    return "\n".join(lines)


def print_journey(policy: Any, lead: dict[str, Any], as_of: Optional[str], as_json: bool) -> None:
    """The CLI side of `eval --journey`: print, or exit 1 on a data error."""
    import json
    import sys

    import click

    from leadpolicy import LeadDataError
    from leadpolicy.syntax.diagnostics import terminal_text

    try:
        data = journey(policy, lead, as_of)
    except LeadDataError as error:
        if as_json:
            click.echo(json.dumps({"id": lead.get("id"), "error": error.to_dict()}))
        click.echo(f"error[data]: {terminal_text(error)}", err=True)
        sys.exit(1)
    click.echo(json.dumps(data, indent=2) if as_json else terminal_text(timeline(data)))
