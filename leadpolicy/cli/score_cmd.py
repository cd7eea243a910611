"""`leadpolicy score`."""

from __future__ import annotations

import os
import sys
from typing import Any, Optional

import click

from leadpolicy.cli.app import main
from leadpolicy.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    STDIN,
    FileProblem,
    as_of_moment,
    as_of_option,
    display_name,
    format_with_json,
    json_option,
    load_policy,
    misnamed_parquet,
    misplaced_in_first_lead,
    one_json_document,
    open_input,
    output_stream,
    plural,
    refuse_overwriting,
    refuse_table_file,
    say,
    to_stdout,
    warn,
)
from leadpolicy.cli.engine_options import (
    engine_options,
    refuse_unused_options,
    say_memory_limit_unread,
    score_with_engine,
    spooled,
    uses_sql_engine,
)
from leadpolicy.syntax.diagnostics import shown_path


def _output_format(fmt: Optional[str], output: Optional[str]) -> str:
    """--format, else by OUT's suffix (`.csv` is CSV), else JSON Lines."""
    if fmt:
        return fmt
    return "csv" if output and output.lower().endswith(".csv") else "jsonl"


# what OUT's name says of its format, and the rows it gets without --format
_OUTPUT_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".parquet")


def _check_output_name(output: Optional[str], fmt: Optional[str], sql_engine: bool, quiet: bool) -> None:
    """A name that promises a format the rows will not have: Parquet from the python engine
    (it writes JSON Lines or CSV) is refused; another name (`.xlsx`, `.json`, `.txt`) gets JSON
    Lines, and a warning says so unless --format chose it."""
    if not output or to_stdout(output):
        return
    suffix = os.path.splitext(output)[1].lower()
    if suffix in (".policy", ".tests"):  # a policy's tests beside it, say: as compile and docs refuse them
        raise FileProblem(f"-o {output} would overwrite a policy file with decisions: name it FILE.jsonl or FILE.csv")
    if suffix == ".parquet" and not sql_engine:
        raise click.UsageError(f"{output}: the python engine writes JSON Lines or CSV; Parquet is written by "
                               "--engine duckdb (pip install 'leadpolicy[duckdb]') or --engine spark")
    special = os.path.exists(output) and not os.path.isfile(output)  # /dev/null, a named pipe
    if suffix and suffix not in _OUTPUT_SUFFIXES and fmt is None and not quiet and not special:
        warn(f"{output} gets JSON Lines (one row per line{', not one JSON document' if suffix == '.json' else ''}): "
             "name it .jsonl, or .csv for a table (spreadsheets open it), or say --format")


def _nested_parquet_copy(input_path: str, options: dict[str, Any]) -> Optional[str]:
    """A Parquet INPUT of the nested shape (a `fields` column: leads as in JSON Lines) copied to JSON Lines
    in a temporary directory removed when the command ends, for every engine to read as JSON Lines;
    None for any other INPUT (a relational table, read as before)."""
    import tempfile

    from leadpolicy.tools.file_kinds import is_parquet
    from leadpolicy.tools.parquet_leads import MissingPyarrow, ParquetProblem, nested_parquet_columns, write_json_lines

    if input_path == STDIN or options.get("activities_path") is not None or not os.path.isfile(input_path) \
            or not is_parquet(input_path):
        return None
    try:
        if nested_parquet_columns(input_path) is None:
            return None
        if options.get("mapping_path") is not None:
            raise click.UsageError(f"--mapping names the tables and columns of the relational shape, and {input_path} "
                                   "holds each lead's fields and activities (a `fields` column): drop --mapping")
        folder = click.get_current_context().with_resource(tempfile.TemporaryDirectory(prefix="leadpolicy-parquet-"))
        copy = os.path.join(folder, "leads.jsonl")
        with open(copy, "w", encoding="utf-8", newline="\n") as out:
            write_json_lines(input_path, out)
    except ParquetProblem as problem:
        raise FileProblem(f"{input_path} {problem}", EXIT_FAILED) from None
    except MissingPyarrow as missing:  # one line naming the extra, as a missing duckdb is said
        raise FileProblem(str(missing)) from None
    return copy


def _delimiter(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(value.lower(), value)
    if len(named) != 1 or named in "\"\r\n":
        raise click.BadParameter(f"`{value}` is not one character (`,`, `;`, `|` or `tab`)", param_hint="--delimiter")
    return named


@main.command("score")
@click.argument("policy_path", metavar="POLICY")
@click.argument("input_path", metavar="INPUT")
@click.option("-o", "--output", metavar="OUT", help="Write the rows here (default, or `-`: standard output).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]),
              help="Rows as JSON Lines, or a flat CSV table (id, stage, previous_stage, change, engagement, fit, grade, reason, "
                   "rule, error). Default: csv when OUT ends in .csv, else jsonl.")
@json_option("Rows as JSON Lines (--format jsonl), whatever OUT is named.")
@click.option("--input-format", type=click.Choice(["jsonl", "csv"]), help="Default: csv when INPUT ends in .csv, else jsonl.")
@click.option("--delimiter", metavar="CHAR", help="The CSV input's delimiter: `,` `;` `|` or `tab`. Default: what the header line uses.")
@as_of_option
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N", help="Processes to score with. Default: all cores; 1 scores in this process.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar, no warnings about the input's header and no summary.")
@engine_options
def score_command(policy_path: str, input_path: str, output: Optional[str], fmt: Optional[str], as_json: bool, input_format: Optional[str],
                  delimiter: Optional[str], as_of: Optional[str], jobs: Optional[int], quiet: bool,
                  **sql_options: str) -> None:
    """Score many leads: one decision or one error row per lead, in input order.

    INPUT is a file or `-` for standard input. JSON Lines: one lead per line,
    {"id", "fields", "activities", "stage"}; blank lines are skipped. CSV (a
    header row): columns `id`, `stage` (the previous stage), `activities` (a
    JSON array of activities, as in JSON Lines) and one column per field;
    names match as CRM exports spell them (`Company Size` is `company_size`);
    empty cells are missing values. Without an `id` column a lead's id is its
    line number.
    Parquet with a `fields` column: the JSON Lines leads as columns (id,
    fields, activities, stage), read by every engine.

    A decision row is {"id": ..., **decision}; a lead that cannot be read gives
    an error row {"id": ..., "line": N, "error": {"field", "value", "message"}}
    in its place, and the run goes on. Exit status 1 when any lead had an error.
    OUT is written to a temporary file and renamed into place at the end, so an
    interrupted or failed run leaves a previous OUT as it was; OUT may not be
    INPUT or POLICY. A summary (as of, leads by stage and by change, errors,
    time) goes to standard error.
    """
    from leadpolicy.tools.csv_header import CsvHeaderError, not_utf8
    from leadpolicy.tools.pool import default_jobs
    from leadpolicy.tools.progress import aside, progress_bar
    from leadpolicy.tools.score import Summary, score_stream
    from leadpolicy.tools.score_output import shown_on_terminal

    fmt = format_with_json(fmt, as_json, "jsonl")
    refuse_overwriting(output, [(input_path, "the input"), (policy_path, "the policy")] + [
        (path, what) for path, what in ((sql_options.get("activities_path"), "the activities table"),
                                        (sql_options.get("mapping_path"), "the mapping")) if path])
    refuse_unused_options(input_path, sql_options, input_format, delimiter)
    if policy_path == STDIN and input_path == STDIN:
        raise click.UsageError("the policy and the leads cannot both come from standard input: name one of them as a file")
    parquet_copy = _nested_parquet_copy(input_path, sql_options)  # leads as JSON Lines, in Parquet
    read_path = parquet_copy or input_path
    if parquet_copy is not None:
        input_format = "jsonl"
    _check_output_name(output, fmt, uses_sql_engine(read_path, sql_options), quiet)
    document = None if quiet or input_format == "csv" else one_json_document(input_path, policy_path)
    if document:
        warn(document)
    fmt = _output_format(fmt, output)
    delimiter = _delimiter(delimiter)
    policy = load_policy(policy_path)
    misplaced = None if quiet or input_format == "csv" or read_path.lower().endswith(".csv") \
        or uses_sql_engine(read_path, sql_options) else misplaced_in_first_lead(policy, read_path)
    if misplaced:
        warn(misplaced)
    moment = as_of_moment(as_of)  # one "now" for the whole run
    if uses_sql_engine(read_path, sql_options):  # --engine duckdb|spark (docs/sql.md)
        with spooled(read_path, sql_options, input_format) as table:
            score_with_engine(policy, table, output, fmt or "jsonl", moment, sql_options, quiet, shown=input_path)
    say_memory_limit_unread("python", sql_options.get("memory_limit"))
    if input_format is None:
        input_format = "csv" if input_path.lower().endswith(".csv") else "jsonl"
    name = display_name(input_path)
    if input_path == STDIN:
        source = sys.stdin.buffer
        size = None
    else:
        if parquet_copy is None:
            refuse_table_file(input_path, {
                "duckdb": "score it with --engine duckdb, which reads its tables `leads` and `activities` "
                          "(or --leads-table and --activities-table; docs/sql.md)",
                "parquet": misnamed_parquet(input_path, "--engine duckdb or spark")})
        source = open_input(read_path)
        size = os.fstat(source.fileno()).st_size
        if size == 0 and not quiet:
            warn(f"{input_path} is empty: there are no leads to score")
    summary = Summary()
    to_file = not to_stdout(output)
    progress = progress_bar("scoring", size, quiet)  # the share of the file read; standard input: the count
    rows_out = None  # standard output: the rows that reached it, exactly (tools/whole_rows.py)
    try:
        with output_stream(output) as stream:
            if not to_file:
                from leadpolicy.tools.whole_rows import WholeRows, descriptor

                fd = descriptor(stream)
                if fd is not None:  # a real standard output (not a test's captured one)
                    stream = rows_out = WholeRows(fd, csv=fmt == "csv")
            with shown_on_terminal(stream, fmt) as sink:
                summary = score_stream(policy, source, sink, as_of=moment, input_format=input_format, output_format=fmt,
                                       jobs=jobs or default_jobs(), progress=progress, summary=summary,
                                       delimiter=delimiter, warn=None if quiet else aside(progress, warn))
    except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM (tools/stopping.py): the same, in its own word and status
        from leadpolicy.tools.stopping import stopped_by

        word, status = stopped_by(stop)
        start = "\n" if status == EXIT_INTERRUPTED else ""  # past the terminal's `^C`
        if progress is not None:
            progress.clear()
        if to_file:
            click.echo(f"{start}{word}: {shown_path(output)} was left untouched", err=True)
        else:
            rows = rows_out.rows if rows_out is not None else summary.leads
            second = "a second Ctrl-C" if status == EXIT_INTERRUPTED else "a second signal"
            cut = f", and part of row {rows + 1:,} ({second} stopped it)" if rows_out is not None and rows_out.cut else ""
            click.echo(f"{start}{word} after {plural(rows, 'row')} written to standard output{cut}", err=True)
        sys.exit(status)
    except (CsvHeaderError, UnicodeDecodeError) as error:  # a quote that never closes, found at the end of the file;
        # CSV input that is not UTF-8 (a JSON line that is not is an error row), said as diff and report say it
        after = ""
        if not to_file and summary.leads:  # the other rows are on standard output; OUT is left untouched
            after = f"; scoring stopped there, after {plural(summary.leads, 'row')} written to standard output"
        problem = f": {error}" if isinstance(error, CsvHeaderError) else f" {not_utf8(error, input_path)}"
        raise FileProblem(f"{name}{problem}{after}", EXIT_FAILED) from None
    finally:
        if progress is not None:
            progress.clear()
        if input_path != STDIN:
            source.close()
    if not quiet:
        from leadpolicy.syntax.nodes import DISQUALIFIED

        stages = [stage.name for stage in policy.tree.stages] + [DISQUALIFIED]
        for line in summary.lines(stages):
            say(line, err=True)
    sys.exit(EXIT_FAILED if summary.errors else EXIT_OK)
