"""`leadpolicy diff`."""

from __future__ import annotations

import os
import re
import sys
from typing import Any, Optional

import click

from leadpolicy.cli.app import main
from leadpolicy.cli.common import (
    EXIT_FAILED,
    STDIN_NAME,
    FileProblem,
    as_of_option,
    display_name,
    format_with_json,
    json_option,
    misnamed_parquet,
    misplaced_in_first_lead,
    one_json_document,
    refuse_compressed,
    refuse_overwriting,
    refuse_table_file,
    say_line,
    to_stdout,
    warn,
)
from leadpolicy.cli.engine_options import (
    engine_error_file,
    engine_error_text,
    memory_limit_value,
    say_memory_limit_unread,
    table_name_value,
)
from leadpolicy.tools.file_kinds import is_duckdb_database, is_stream


class _Problem(click.ClickException):
    """A version or the leads cannot be read: wrong usage, exit status 2, one clear line."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        say_line(f"error: {self.format_message()}", err=True)


_FIX = "write --fail-on-change, or --fail-on-change=5 to allow up to 5% of the leads to change"


def _percent(value: Optional[str]) -> Optional[float]:
    if value is None:
        return None
    try:
        number = float(value.strip().removesuffix("%"))  # `5%` is how people write five percent
    except ValueError:
        raise click.BadParameter(f"`{value}` is not a percentage: {_FIX}", param_hint="'--fail-on-change'") from None
    if not 0 <= number <= 100:
        raise click.BadParameter(f"`{value}` is not a percentage between 0 and 100: {_FIX}",
                                 param_hint="'--fail-on-change'")
    return number


_NEGATIVE = re.compile(r"-\.?[0-9].*")  # `-5`, `-.5`, `-1.5%`: a number below zero, not an option


def _an_argument(word: str) -> bool:
    """Whether the word after a bare `--fail-on-change` is the next argument (`diff OLD
    --fail-on-change NEW`), not its value: it is no number and has no digit, sign or `%` that would
    make it a percentage mistyped (`5x`, `-5`, `150` stay the value, said as not a percentage), or it
    names a file (`acme-2026.12.policy`)."""
    try:
        float(word.strip().removesuffix("%"))
    except ValueError:
        return not re.search(r"[0-9%+]|^\s*-", word) or os.path.exists(word)
    return False


class _DiffCommand(click.Command):
    """`--fail-on-change` takes its value only after `=` or as the next word that does not start with
    `-`: a negative number (`--fail-on-change -5`, and even `--fail-on-change=-5`, which click puts
    back among the words) was read as the flag followed by an option, `No such option: -5`. Such a
    value is said as a percentage out of range, as `--fail-on-change 150` is. A bare
    `--fail-on-change` followed by a word that is no percentage (a policy's path) leaves it an
    argument: `diff OLD --fail-on-change NEW` is `diff OLD NEW --fail-on-change`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        words = list(args)
        for at, word in enumerate(words):
            if word == "--":
                break
            value = word.partition("=")[2] if word.startswith("--fail-on-change=") else \
                words[at + 1] if word == "--fail-on-change" and at + 1 < len(words) else None
            if word == "--fail-on-change" and value is not None and _an_argument(value):
                words[at] = "--fail-on-change=0"  # bare, as written: the next word is OLD or NEW
                continue
            if value is not None and _NEGATIVE.fullmatch(value) and not ctx.resilient_parsing:
                number = _percent(value)  # out of range, but for `-0`
                words[at:at + (1 if "=" in word else 2)] = [f"--fail-on-change={abs(number or 0):g}"]
        return super().parse_args(ctx, words)


@main.command("diff", cls=_DiffCommand)
@click.argument("versions", nargs=-1, metavar="OLD NEW")
@click.option("--rev", metavar="REV", help="Compare the file POLICY with its version at git revision REV (one argument).")
@click.option("--leads", metavar="FILE", help="Replay these leads (JSON Lines, CSV or Parquet, as `leadpolicy score` reads them; - for standard input) through both versions.")
@click.option("--input-format", type=click.Choice(["jsonl", "csv"]), help="Default: csv when FILE ends in .csv, else jsonl.")
@as_of_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]),
              help="A terminal report, Markdown for a pull-request comment, or JSON. Default: by -o's suffix "
                   "(.md, .json), else text.")
@json_option("The report as JSON (--format json).")
@click.option("--fail-on-change", "fail_on_change", metavar="[=PCT]", is_flag=False, flag_value="0", default=None,
              help="Exit 1 when any lead changes (or, =PCT, when more than PCT percent do). Needs --leads.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N", help="Processes for the replay. Default: all cores.")
@click.option("-o", "--output", metavar="FILE", help="Write the report here (default: standard output).")
@click.option("--engine", type=click.Choice(["python", "duckdb"]), default="python", show_default=True,
              help="python: the compiled modules (--jobs processes); duckdb: both versions as SQL queries over the "
                   "file, all cores (the same report).")
@click.option("--memory-limit", metavar="SIZE", callback=memory_limit_value, help="duckdb: memory to stay within, e.g. 4GB (default: half the "
                                                     "machine's, at most 1500MB but for CSV input); beyond it DuckDB "
                                                     "spills to disk and a large file is run in slices.")
@click.option("--activities", "activities", metavar="FILE",
              help="duckdb: --leads is the leads table of the relational shape and FILE its activities table "
                   "(Parquet or CSV, as `score --engine duckdb` reads them); .parquet leads need it.")
@click.option("--leads-table", metavar="NAME", callback=table_name_value, help="duckdb: --leads is a DuckDB database; its leads table (default: leads).")
@click.option("--activities-table", metavar="NAME", callback=table_name_value,
              help="duckdb: --leads is a DuckDB database; its activities table (default: activities).")
@click.option("--mapping", "mapping_path", metavar="FILE",
              help="duckdb, with --activities or a database: table and column names of the relational shape, a JSON object "
                   "(docs/sql.md).")
def diff_command(versions: tuple[Any, ...], rev: Optional[str], leads: Optional[str], input_format: Optional[str], as_of: Optional[str],
                 fmt: Optional[str], as_json: bool, fail_on_change: Optional[str], jobs: Optional[int], output: Optional[str], engine: str,
                 memory_limit: Optional[str], activities: Optional[str], leads_table: Optional[str],
                 activities_table: Optional[str], mapping_path: Optional[str]) -> None:
    """What a change to a policy means, and what it does to real leads.

    OLD and NEW are policy files or git revisions in git's `REV:PATH` form
    (`main:policies/acme.policy`); `--rev main policies/acme.policy` compares
    the file with its version at `main`. Both versions must check.

    The report lists every change in meaning, section by section, in the
    handoff document's English ("no change in meaning" for layout, comments
    or tests only). With --leads, both versions decide every lead with the
    same --as-of and previous stage: leads whose stage changes, the stage
    transition matrix, grades, score changes, rule hit rates, data errors that
    appear or disappear, and example leads for every move, with the hits that
    explain it. The same inputs give the same bytes.
    """
    from leadpolicy.cli.common import as_of_moment

    gate = _percent(fail_on_change)
    fmt = _format_for(format_with_json(fmt, as_json), output)
    if "-" in versions:  # it said "no such file: -"
        raise click.UsageError("OLD and NEW are policy files or git REV:PATH, not standard input (`-`): name the files")
    # -o onto a version, the leads or their tables destroyed it, and the report then failed to read it
    named = [(str(v), "the policy compared") for v in versions] + [
        (path, what) for path, what in ((leads, "the leads"), (activities, "the activities"), (mapping_path, "the mapping"))
        if path is not None]
    refuse_overwriting(output, named)
    if output is not None and not to_stdout(output) and os.path.splitext(output)[1].lower() in (".policy", ".tests"):
        raise FileProblem(f"-o {output} would overwrite a policy file with the report: name it FILE.txt, FILE.md or FILE.json")
    if rev is not None:
        if len(versions) != 1:
            raise click.UsageError("with --rev give one policy file: leadpolicy diff --rev main policies/acme.policy")
    elif len(versions) != 2:
        raise click.UsageError("give two versions, OLD and NEW (files or git REV:PATH), or --rev REV POLICY")
    if gate is not None and leads is None:
        raise click.UsageError("--fail-on-change needs --leads: it gates on the leads that change")
    if leads is not None:  # without --leads nothing is replayed: no engine runs
        say_memory_limit_unread(engine, memory_limit)
    if engine == "duckdb" and leads == "-":
        raise click.UsageError("--engine duckdb reads a file of leads, not standard input: --leads FILE")
    for path in (leads, activities) if engine == "duckdb" else ():
        if path is not None and is_stream(path):  # DuckDB reads a table more than once: a pipe's leads were lost
            raise click.UsageError(f"--engine duckdb reads a file of leads, not {path}, a pipe or device that can be "
                                   "read only once: save it to a file, or replay it with --engine python")
    nested = _nested_parquet(leads, activities)  # leads as in JSON Lines, in Parquet: read as score reads them
    database = leads is not None and activities is None and not nested and is_duckdb_database(leads)
    if (leads_table or activities_table) and not database:
        raise click.UsageError("--leads-table and --activities-table name the tables of a DuckDB database given as "
                               "--leads FILE (with --engine duckdb)")
    if engine == "duckdb" and leads is not None:
        from leadpolicy.backends.sql import extras

        extras.duckdb()  # before the mapping is read: name the engine's extra (it brings sqlglot), not sqlglot's
    mapping = _relational_options(leads, activities, mapping_path, engine, database, nested)
    moment = as_of_moment(as_of)  # one "now" for both versions and every lead; read without --leads too
    if leads is not None:
        for path in (leads, activities):
            if path is not None and path != "-" and not (os.path.isfile(path) or is_stream(path)):  # a pipe is read once
                raise _Problem(f"no such file: {path}" if not os.path.exists(path) else
                               f"{path} is a directory, not a file" if os.path.isdir(path) else f"{path} is not a file")
            refuse_compressed(path, "diff OLD NEW --leads" if engine == "python" and path == leads else None)
        if activities is None:
            refuse_table_file(leads, {
                "duckdb": "diff reads its tables `leads` and `activities` with --engine duckdb (or --leads-table and "
                          "--activities-table; docs/sql.md)",
                "parquet": misnamed_parquet(leads, "--engine duckdb")},
                read=(("duckdb",) if engine == "duckdb" else ()) + (("parquet",) if nested else ()))
        document = one_json_document(leads) if activities is None and input_format != "csv" and not nested else None
        if document:
            warn(document)
        if leads != "-" and os.path.isfile(leads) and os.path.getsize(leads) == 0:  # as score warns
            warn(f"{leads} is empty: there are no leads to replay")
        elif activities is not None:
            from leadpolicy.cli.engine_options import header_missing

            missing = header_missing(leads)
            if missing:
                warn(missing)
    old, new = _load_versions(versions, rev)
    if leads is not None and activities is None and input_format != "csv" and not leads.lower().endswith(".csv") \
            and not nested:
        misplaced = misplaced_in_first_lead(new[0], leads)  # (policy, label)
        if misplaced:
            warn(misplaced)

    from leadpolicy.tools.csv_header import CsvHeaderError, not_utf8
    from leadpolicy.tools.diff import diff_policies
    from leadpolicy.tools.parquet_leads import ParquetProblem

    InputProblem: Any = _NoProblem
    if engine == "duckdb":
        try:
            from leadpolicy.backends.sql.batch import InputProblem
        except ImportError as error:  # sqlglot missing: the message names the extra
            raise FileProblem(str(error)) from None
    from leadpolicy.tools.pool import default_jobs
    from leadpolicy.tools.progress import aside, progress_bar

    # python: the share of the file read (standard input, a pipe: the count alone); duckdb: of its lines or
    # rows, told by the engine (a table of the relational shape: the count alone)
    size = os.path.getsize(leads) if engine == "python" and leads not in (None, "-") and os.path.isfile(str(leads)) else None
    counter = progress_bar("replaying", size) if leads is not None else None
    try:
        source = sys.stdin.buffer if leads == "-" else leads
        result = diff_policies(old[0], new[0], old[1], new[1], source, moment, jobs=jobs or default_jobs(),
                               input_format=input_format, progress=counter,
                               leads_label=STDIN_NAME if leads == "-" else None,  # `<stdin>`, as every command names it
                               warn=aside(counter, warn), engine=engine, memory_limit=memory_limit, activities=activities, mapping=mapping,
                               leads_table=leads_table, activities_table=activities_table)
    except ImportError as error:  # --engine duckdb without the extra: the message names it
        raise FileProblem(str(error)) from None
    except InputProblem as error:  # a relational table without a column the policies read
        raise _Problem(str(error)) from None
    except CsvHeaderError as error:
        raise FileProblem(f"{display_name(str(leads))}: {error}", EXIT_FAILED) from None
    except ParquetProblem as problem:  # a Parquet file of leads that cannot be read whole
        raise FileProblem(f"{leads} {problem}", EXIT_FAILED) from None
    except UnicodeDecodeError as error:  # CSV leads (a JSON line that is not UTF-8 is that lead's error): as score says it
        raise FileProblem(f"{display_name(str(leads))} {not_utf8(error, leads)}", EXIT_FAILED) from None
    except OSError as error:
        raise _Problem(f"cannot read {display_name(str(leads))}: {error.strerror or error}") from None
    except Exception as error:  # DuckDB's own errors (a file it cannot read)
        if type(error).__module__.split(".")[0] not in ("duckdb", "_duckdb"):
            raise
        tables = bool(activities or leads_table)
        raise _Problem(f"{engine_error_file(error, str(leads))}: duckdb cannot read it: "
                       f"{engine_error_text(error, tables)}") from None
    finally:
        if counter is not None:
            counter.clear()
    _write(_render(result, fmt, output), output)
    if gate is not None:
        _apply_gate(result, gate)


class _NoProblem(Exception):
    """Never raised: the python engine has no SQL input problems."""


def _nested_parquet(leads: Optional[str], activities: Optional[str]) -> bool:
    """--leads is a Parquet file of leads in the JSON Lines shape (a `fields` column), read through a JSON
    Lines copy by either engine, as `score` reads it (docs/decisions.md 65 and 89)."""
    if leads is None or leads == "-" or activities is not None:
        return False
    from leadpolicy.tools.parquet_leads import MissingPyarrow, ParquetProblem, is_nested_parquet

    try:
        return is_nested_parquet(leads)
    except ParquetProblem as problem:  # named .parquet, and not one
        raise FileProblem(f"{leads} {problem}", EXIT_FAILED) from None
    except MissingPyarrow as missing:  # one line naming the extra, as score says it
        raise FileProblem(str(missing)) from None


def _relational_options(leads: Optional[str], activities: Optional[str], mapping_path: Optional[str], engine: str,
                        database: bool = False, nested: bool = False) -> Any:
    """--activities and --mapping (the relational shape, duckdb only; --leads a DuckDB database
    holds both tables): the mapping read, or None. `nested`: --leads is Parquet of the JSON Lines shape."""

    if activities is None and not database:
        if mapping_path is not None:
            raise click.UsageError("--mapping names the columns of the relational shape: it goes with --activities FILE")
        if leads is not None and leads.lower().endswith(".parquet") and not nested and os.path.isfile(leads):
            raise click.UsageError(f"{leads}: Parquet leads without a `fields` column are the relational shape; give "
                                   "their activities table too: --activities activities.parquet --engine duckdb")
        return None
    if database and engine != "duckdb":
        return None  # refuse_table_file says it: diff reads a database with --engine duckdb
    if leads is None:
        raise click.UsageError("--activities is the activities table of the leads of --leads FILE: give both")
    if engine != "duckdb":
        raise click.UsageError("the relational shape (--activities) is read by --engine duckdb: add --engine duckdb, "
                               "or give --leads as JSON Lines or CSV")
    if mapping_path is None:
        return None
    from leadpolicy.cli.engine_options import read_mapping

    return read_mapping(mapping_path)


def _load_versions(versions: tuple[Any, ...], rev: Optional[str]) -> Any:
    """Both versions, loaded; every error of either shown with its own name, then exit 1."""
    import leadpolicy
    from leadpolicy.syntax.diagnostics import render
    from leadpolicy.tools.diff.sources import SourceError, read_at_revision, read_file, read_policy_source

    try:
        if rev is not None:
            sources = [read_at_revision(rev, versions[0]), read_file(versions[0])]
        else:
            sources = [read_policy_source(spec) for spec in versions]
    except SourceError as error:
        raise _Problem(str(error)) from None
    from leadpolicy.cli.common import looks_like_a_policy

    for source in sources:  # an empty file, JSON: said as every command says it, not as a syntax error
        looks_like_a_policy(source.text, source.label)
    loaded, failed = [], []
    for source in sources:
        try:
            loaded.append((leadpolicy.loads(source.text, source.label), source.label))
        except leadpolicy.PolicyError as error:
            click.echo(render(error.diagnostics, source.text), err=True)
            click.echo("", err=True)
            count = len([d for d in error.diagnostics if d.is_error])
            failed.append(f"{source.label}: {count} error{'s' if count != 1 else ''}")
    if failed:
        say_line("; ".join(failed) + "; both versions must check before they can be compared", err=True)
        sys.exit(1)
    return loaded


_FORMAT_BY_SUFFIX = {".json": "json", ".md": "markdown", ".markdown": "markdown"}


def _format_for(fmt: Optional[str], output: Optional[str]) -> str:
    """--format, or the one -o's suffix names (`-o diff.json` wrote the text report into a .json file);
    a --format the suffix contradicts is a usage error."""
    suffix = os.path.splitext(output)[1].lower() if output and not to_stdout(output) else ""
    named = _FORMAT_BY_SUFFIX.get(suffix)
    if fmt is None:
        special = os.path.exists(output or "") and not os.path.isfile(output or "")  # /dev/null, a named pipe
        if named is None and suffix not in ("", ".txt", ".text") and not special:  # `-o diff.html` got plain text, unsaid
            warn(f"{output} gets the text report{' (diff writes no HTML)' if suffix in ('.html', '.htm') else ''}: "
                 "name it .md for Markdown, .json for JSON or .txt, or say --format")
        return named or "text"
    if named is not None and named != fmt:
        raise click.UsageError(f"-o {output} is named for {'JSON' if named == 'json' else 'Markdown'}, and --format {fmt} "
                               f"writes {'JSON' if fmt == 'json' else 'Markdown' if fmt == 'markdown' else 'text'}: "
                               f"drop --format, or name the file for it")
    return fmt


def _render(result: Any, fmt: str, output: Optional[str]) -> str:
    if fmt == "json":
        return str(result.to_json())
    if fmt == "markdown":
        from leadpolicy.tools.diff.render_markdown import render_markdown

        return render_markdown(result)
    from leadpolicy.tools.diff.render_text import render_text

    color = not output and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    return render_text(result, color=color)


def _write(text: str, output: Optional[str]) -> None:
    if not output or output == "-":
        click.echo(text, nl=False, color=True)  # colour codes are in the text only when asked for
        return

    from leadpolicy.tools.atomic import OutputProblem, write_atomically

    try:
        write_atomically(output, text)  # the report appears whole or not at all, with the usual permissions
    except OutputProblem as problem:
        raise _Problem(str(problem)) from None


def _apply_gate(result: Any, gate: float) -> None:
    leads = result.leads
    changed, total = result.changed_leads(), leads["total"]
    share = 100.0 * changed / total if total else 0.0
    if (gate == 0 and changed) or share > gate:
        allowed = "no lead may change" if gate == 0 else f"at most {gate:g}% may"
        click.echo(f"leadpolicy diff: {changed:,} of {total:,} leads ({share:.1f}%) change stage or start or stop "
                   f"failing; {allowed} (--fail-on-change)", err=True)
        sys.exit(1)
