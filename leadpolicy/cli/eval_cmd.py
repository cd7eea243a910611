"""`leadpolicy eval`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import click

from leadpolicy import LeadDataError
from leadpolicy.cli.app import main
from leadpolicy.cli.common import as_of_option, load_policy, read_source


def _read_lead(source: str) -> dict:
    if source == "-":
        text = sys.stdin.read()
        name = "<stdin>"
    else:
        text = read_source(Path(source))
        name = source
    try:
        lead = json.loads(text)
    except json.JSONDecodeError as error:
        click.echo(f"error: {name}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}", err=True)
        sys.exit(1)
    if not isinstance(lead, dict):
        click.echo(f"error: {name}: a lead must be a JSON object with `fields` and `activities`", err=True)
        sys.exit(1)
    return lead


@main.command("eval")
@click.argument("policy_path", metavar="POLICY")
@click.argument("lead_path", metavar="[LEAD|-]", default="-")
@as_of_option
@click.option("--previous-stage", metavar="STAGE", help="The lead's stage before this evaluation (overrides its `stage`).")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@click.option("--journey", is_flag=True, help="Replay the lead through time: each stage change, when and why.")
def eval_command(policy_path: str, lead_path: str, as_of: Optional[str], previous_stage: Optional[str], as_json: bool,
                 journey: bool = False) -> None:
    """Decide one lead (JSON: {"id", "fields", "activities", "stage"}) and explain it."""
    from leadpolicy.handoff.explain import explain
    from leadpolicy.semantics.runtime import split_lead

    policy = load_policy(policy_path)
    lead = _read_lead(lead_path)
    if journey:
        from leadpolicy.tools.report.journey import print_journey

        print_journey(policy, lead, as_of, as_json)
        return
    try:
        lead_id, fields, activities, stage = split_lead(lead, 0)
        if previous_stage is not None:
            stage = previous_stage
        decision = policy.evaluate(fields, activities, as_of, stage, lead_id)
    except LeadDataError as error:
        if as_json:
            click.echo(json.dumps({"id": lead.get("id"), "error": error.to_dict()}))
        click.echo(f"error[data]: {error}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(decision.to_dict(), indent=2))
    else:
        click.echo(explain(decision.to_dict(), lead_id))


