"""`leadpolicy eval`."""

from __future__ import annotations

import json
import shlex
import sys
from typing import Any, Optional

import click

from leadpolicy import LeadDataError
from leadpolicy.cli.app import main
from leadpolicy.cli.common import (
    EXIT_FAILED,
    STDIN,
    as_of_moment,
    as_of_option,
    display_name,
    error_label,
    load_policy,
    misplaced_keys,
    plural,
    read_text,
    say,
    warn,
)
from leadpolicy.syntax.diagnostics import shown_path


def _read_lead(source: str) -> tuple[dict[str, Any], str]:
    name = display_name(source)
    if source == STDIN and sys.stdin.isatty():
        click.echo("reading the lead from standard input (end with Ctrl-D; or name a file: leadpolicy eval POLICY LEAD)", err=True)
    text = read_text(source, what="a lead is a JSON object with `fields` and `activities`")
    try:
        lead = json.loads(text)
    except json.JSONDecodeError as error:
        from leadpolicy.cli.json_errors import looks_like_csv, render_json_error

        more, hint = "", None
        given = STDIN if source == STDIN else shlex.quote(source)  # as the user would type it again
        if error.msg == "Extra data" and error.colno == 1:  # one object per line: JSON Lines, many leads
            more = (f" (it holds more than one lead, one per line: `leadpolicy score POLICY {given}` decides each;"
                    " eval takes a file of one lead)")
        elif error.lineno == 1 and not text[:error.pos].strip() and looks_like_csv(text):  # a CRM export
            hint = (f"this looks like CSV (a header line, then a lead per row): `leadpolicy score POLICY {given}` "
                    "decides each row; eval takes one lead as a JSON object")
        say(render_json_error(name, text, error, more, hint), err=True)
        sys.exit(EXIT_FAILED)
    except RecursionError:  # Python's JSON reader stops near 1,000 nested arrays or objects
        say(f"error: {name} is not a lead: its JSON is nested too deeply to read (no lead nests more than a few levels)",
            err=True)
        sys.exit(EXIT_FAILED)
    if not isinstance(lead, dict):
        click.echo(f"{error_label()}: {shown_path(name)}: a lead must be a JSON object with `fields` and `activities`", err=True)
        sys.exit(EXIT_FAILED)
    return lead, text


def _member_help(policy: Any, problem: dict[str, Any]) -> Optional[str]:
    """`did you mean `vp`?` for an enum field's value that is no member (`vpp`), as a policy's error has it."""
    from leadpolicy.check.base import suggest

    field, value = problem.get("field"), problem.get("value")
    declared = next((f for f in policy.tree.fields if f.name == field), None)
    if declared is None or declared.type.kind != "enum" or not isinstance(value, str):
        return None
    guess = suggest(value.strip(), declared.type.members)
    return f"did you mean `{guess}`?" if guess else None


@main.command("eval")
@click.argument("policy_path", metavar="POLICY")
@click.argument("lead_path", metavar="[LEAD|-]", default=STDIN)
@as_of_option
@click.option("--previous-stage", metavar="STAGE", help="The lead's stage before this evaluation (overrides its `stage`).")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@click.option("--journey", is_flag=True, help="Replay the lead through time, from no stage: each stage change, when and why.")
def eval_command(policy_path: str, lead_path: str, as_of: Optional[str], previous_stage: Optional[str], as_json: bool,
                 journey: bool = False) -> None:
    """Decide one lead (JSON: {"id", "fields", "activities", "stage"}) and explain it.

    LEAD is a file, or `-` (the default) for standard input.
    """
    from leadpolicy.handoff.explain import explain
    from leadpolicy.semantics.runtime import split_lead

    if journey and previous_stage is not None:  # it was ignored without a word
        raise click.UsageError("--previous-stage does not apply with --journey: the replay starts with no stage "
                               "and follows the lead's activities")
    if policy_path == STDIN and lead_path == STDIN:
        raise click.UsageError("the policy and the lead cannot both come from standard input: name one of them as a file")
    moment = as_of_moment(as_of)  # the one "now" the explanation shows; said as every command says it
    policy = load_policy(policy_path)
    lead, lead_text = _read_lead(lead_path)
    misplaced = misplaced_keys(policy, lead)
    if misplaced:
        warn(misplaced)
    try:
        lead_id, fields, activities, stage = split_lead(lead, 0)
        if previous_stage is not None:
            stage = previous_stage
        if journey:  # the replay starts with no stage; its data errors are the evaluator's, said below
            stage = None
        decision = policy.evaluate(fields, activities, moment, stage, lead_id)
    except LeadDataError as error:
        from leadpolicy.tools.score_output import problem_of

        problem = problem_of(error)  # values as JSON, as in `score`'s error rows
        if previous_stage is not None and not journey and problem.get("field") == "previous_stage":
            raise click.BadParameter(error.message, param_hint="--previous-stage") from None  # not the file's
        if as_json:
            click.echo(json.dumps({"id": lead.get("id"), "error": problem}))
        from leadpolicy.cli.json_errors import render_data_error

        say(render_data_error(display_name(lead_path), lead_text, problem, _member_help(policy, problem)), err=True)
        sys.exit(EXIT_FAILED)
    if journey:
        from leadpolicy.tools.report.journey import print_journey

        print_journey(policy, lead, as_of, as_json)
        later = 0 if as_json else _after_as_of(policy, activities, moment)
        if later:  # a journey that ends before them reads as if the lead had done nothing more
            click.echo(f"({plural(later, 'activity', 'activities')} of the lead came after as of: not replayed)")
        return
    if as_json:
        click.echo(json.dumps(decision.to_dict(), indent=2))
    else:
        say(explain(decision.to_dict(), lead_id, as_of=moment))
        later = _after_as_of(policy, activities, moment)
        if later:  # an --as-of in the past left them out without a word
            click.echo(f"  ({plural(later, 'activity', 'activities')} of the lead came after as of: not counted)")


def _after_as_of(policy: Any, activities: Any, moment: Any) -> int:
    """How many of the lead's activities of a declared type are later than `moment` (the decision
    counted none of them; its reading already refused any whose time it could not read)."""
    from leadpolicy.semantics.runtime import parse_instant, to_micros

    declared = {decl.name.lower() for decl in policy.tree.activities}
    limit = to_micros(moment)
    later = 0
    for activity in activities or ():
        kind = activity.get("type") if isinstance(activity, dict) else None
        if isinstance(kind, str) and kind.strip().lower() in declared and parse_instant(activity.get("at"), "at") > limit:
            later += 1
    return later
