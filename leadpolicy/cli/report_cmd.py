"""`leadpolicy report`: replay leads under a policy; funnel, velocity, outcomes."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any, Optional

import click

from leadpolicy import LeadDataError, PolicyError
from leadpolicy.cli.app import main
from leadpolicy.cli.common import (
    as_of_moment,
    json_option,
    load_policy,
    looks_like_a_policy,
    misplaced_in_first_lead,
    one_json_document,
    open_input,
    refuse_compressed,
    refuse_overwriting,
    refuse_table_file,
    say_line,
    show_diagnostics,
)

# the report's format by the output's suffix (`.htm` too, as `docs` takes it): render's function
_RENDERERS = {".html": "html", ".htm": "html", ".md": "markdown", ".json": "as_json"}


def _read_moment(option: str, value: str) -> None:
    """A usage error (2) naming the option, as `score` and `diff` say it, for a time that cannot be read
    (or is outside the datetime range in UTC)."""
    as_of_moment(value, option)


def _nested_parquet(path: str) -> bool:
    """LEADS is a Parquet file of leads in the JSON Lines shape (a `fields` column, with `created_at` and
    `outcome` if they are there), read through a JSON Lines copy, as `score` and `diff --leads` read it
    (docs/decisions.md 65 and 89)."""
    from leadpolicy.tools.parquet_leads import MissingPyarrow, ParquetProblem, is_nested_parquet

    try:
        return is_nested_parquet(path)
    except ParquetProblem as problem:  # named .parquet, and not one
        say_line(f"error: {path} {problem}", err=True)
        sys.exit(1)
    except MissingPyarrow as missing:  # one line naming the extra, as score says it
        say_line(f"error: {missing}", err=True)
        sys.exit(2)


def _load_version(spec: str, name: str) -> Any:
    """POLICY or --against (NAME): a file, or git's `REV:PATH` read as `leadpolicy diff` reads it (no
    revision taken for an option, a tree or a file that is not UTF-8 text; every problem one line, exit 2).
    Both are versions compared side by side, and the product takes REV:PATH wherever two are."""
    import leadpolicy
    from leadpolicy.tools.diff.sources import SourceError, read_policy_source

    if Path(spec).is_file() or ":" not in spec:
        return load_policy(spec)
    try:
        source = read_policy_source(spec)
    except SourceError as error:
        say_line(f"error: {name} {error}", err=True)
        sys.exit(2)
    looks_like_a_policy(source.text, f"{name} {source.label}")
    try:
        return leadpolicy.loads(source.text, source.label)
    except PolicyError as error:
        show_diagnostics(error.diagnostics, source.text)
        count = len([d for d in error.diagnostics if d.is_error])
        say_line(f"{source.label}: {count} error{'s' if count != 1 else ''}; nothing was run", err=True)
        sys.exit(1)


@main.command("report")
@click.argument("policy_path", metavar="POLICY")
@click.argument("leads_path", metavar="LEADS")
@click.option("--input-format", type=click.Choice(["jsonl", "csv"]), help="Default: csv when LEADS ends in .csv, else jsonl.")
@click.option("--outcomes", "outcomes_path", metavar="FILE", help="Outcomes by lead id (JSON Lines or .csv).")
@click.option("--from", "date_from", metavar="DATE", help="Only leads that entered on or after this date.")
@click.option("--to", "date_to", metavar="DATE", help="Only leads that entered on or before this date (or this timestamp).")
@click.option("--as-of", metavar="WHEN", help="End of the replay (default: now, UTC).")
@click.option("--against", metavar="OTHER", help="A second policy (file or git REV:PATH) side by side.")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), metavar="N", help="Processes (default: the cores available).")
@click.option("-o", "--output", metavar="FILE", help="report.html, report.md or report.json (default: Markdown to stdout).")
@json_option("The report as JSON (to standard output, or to -o FILE.json).")
def report_command(policy_path: str, leads_path: str, input_format: Optional[str], outcomes_path: Optional[str], date_from: Optional[str],
                   date_to: Optional[str], as_of: Optional[str], against: Optional[str], jobs: Optional[int], output: Optional[str],
                   as_json: bool) -> None:
    """Replay LEADS (JSON Lines, or CSV by the .csv suffix or --input-format csv, or Parquet of the JSON Lines shape) under POLICY and report the funnel, velocity and outcomes."""
    from datetime import datetime, timezone

    from leadpolicy.tools.csv_header import CsvHeaderError, not_utf8
    from leadpolicy.tools.pool import default_jobs
    from leadpolicy.tools.report import render
    from leadpolicy.tools.report.outcomes import load_outcome_file
    from leadpolicy.tools.report.run import build

    for name, path in (("LEADS", leads_path), ("--outcomes", outcomes_path), ("--against", against)):
        if path == "-":  # it said "no such file: -"
            raise click.UsageError(f"{name} `-`: report reads a file, not standard input; save it to a file and name that")
    if output and Path(output).suffix.lower() not in _RENDERERS:
        say_line(f"error: -o {output}: the name must end in .html, .md or .json", err=True)
        sys.exit(2)
    if as_json and output and Path(output).suffix.lower() != ".json":
        raise click.UsageError(f"--json writes JSON, and -o {output} is named for another format: drop --json, or name "
                               "the file .json")
    refuse_overwriting(output, [(path, what) for path, what in (
        (policy_path, "the policy"), (leads_path, "the leads"), (outcomes_path, "the outcomes"), (against, "the other policy"))
        if path is not None])
    for path in (leads_path, outcomes_path):
        refuse_compressed(path, None)
        if path is not None:
            open_input(path).close()  # missing, a directory, unreadable: said as every command says it (2)
    for option, value in (("--as-of", as_of), ("--from", date_from), ("--to", date_to)):
        if value is not None:
            _read_moment(option, value)
    if date_from is not None and date_to is not None:
        from leadpolicy.semantics.runtime import parse_instant
        from leadpolicy.tools.report.run import window_end

        if parse_instant(date_from, "--from") > window_end(date_to):
            raise click.UsageError(f"--from {date_from} is after --to {date_to}: no lead can enter in between; swap them")
    parquet = _nested_parquet(leads_path)  # leads as in JSON Lines, in Parquet: read as score reads them
    if parquet:
        input_format = "jsonl"
    else:
        refuse_table_file(leads_path)
    if input_format is None:
        input_format = "csv" if leads_path.lower().endswith(".csv") else "jsonl"  # `LEADS.CSV` too, as score reads it
    csv = input_format == "csv"
    document = None if csv else one_json_document(leads_path, policy_path)
    if document:
        say_line(f"warning: {document}", err=True)
    if os.path.isfile(leads_path) and os.path.getsize(leads_path) == 0:  # 0 leads, without a word (score warns); a pipe has no size
        say_line(f"warning: {leads_path} is empty: there are no leads to report", err=True)
    policies = [_load_version(policy_path, "POLICY")]
    misplaced = None if csv or parquet else misplaced_in_first_lead(policies[0], leads_path)
    if misplaced:
        say_line(f"warning: {misplaced}", err=True)
    if against:
        policies.append(_load_version(against, "--against"))
    try:
        outcomes = load_outcome_file(outcomes_path, lambda message: say_line(f"warning: {message}", err=True)) if outcomes_path else None
    except (OSError, ValueError) as error:
        say_line(f"error: {error}", err=True)
        sys.exit(1)
    as_of = as_of or datetime.now(timezone.utc).isoformat()
    from leadpolicy.tools.progress import aside, progress_bar

    # the share of the file read (a pipe: the count alone), cleared before a message and at the end
    progress = progress_bar("replaying", os.path.getsize(leads_path) if os.path.isfile(leads_path) else None)
    warn_here = aside(progress, lambda message: say_line(f"warning: {message}", err=True))

    def clear_progress() -> None:
        if progress is not None:
            progress.clear()

    from leadpolicy.tools.parquet_leads import ParquetProblem, json_lines_copy

    try:
        try:
            # JSON Lines as bytes: a line that is not UTF-8 is that lead's error, as `score` has it
            with (json_lines_copy(leads_path) if parquet else contextlib.nullcontext(leads_path)) as read_path, \
                    (open(read_path, encoding="utf-8-sig", newline="") if csv else open(read_path, "rb")) as stream:
                report = build(policies, stream, as_of, outcomes, date_from, date_to, progress,
                               jobs or default_jobs(), leads_path, warn=warn_here, input_format=input_format)
        finally:  # before any message below
            clear_progress()
    except ParquetProblem as problem:  # a Parquet file of leads that cannot be read whole
        say_line(f"error: {leads_path} {problem}", err=True)
        sys.exit(1)
    except CsvHeaderError as error:  # as `score` says it: no row was read
        say_line(f"error: {leads_path}: {error}", err=True)
        sys.exit(1)
    except OSError as error:
        say_line(f"error: {leads_path}: {error.strerror}", err=True)
        sys.exit(1)
    except UnicodeDecodeError as error:  # a CSV file (its rows can span lines: no row of its own to blame), as score says it
        say_line(f"error: {leads_path} {not_utf8(error, leads_path)}", err=True)
        sys.exit(1)
    except LeadDataError as error:  # --as-of, --from or --to unreadable
        say_line(f"error: {error}", err=True)
        sys.exit(2)
    suffix = Path(output).suffix.lower() if output else ".json" if as_json else ".md"
    text = getattr(render, _RENDERERS[suffix])(report)
    if not output:
        click.echo(text, nl=False)
        return
    from leadpolicy.tools.atomic import OutputProblem, write_atomically

    try:
        write_atomically(output, text)  # whole or not at all, with the usual permissions
    except OutputProblem as problem:
        say_line(f"error: {problem}", err=True)  # one line naming the path, as every command says it
        sys.exit(2)
