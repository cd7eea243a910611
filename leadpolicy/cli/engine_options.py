"""The SQL engines' options of `leadpolicy score` (--engine duckdb|spark), kept apart
from score_cmd.py: the command adds them with one decorator and hands over with one call."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import tempfile
from typing import IO, Any, Callable, Iterator, NoReturn, Optional, TypeVar

import click

from leadpolicy.cli.common import EXPORT_AS_TABLES, FileProblem, refuse_compressed, refuse_table_file, say, warn

ENGINES = ("python", "duckdb", "spark")
F = TypeVar("F", bound=Callable[..., Any])

# DuckDB's own units; it also reads "1G" as 1GB but "1500M" as a few bytes (the run then fails
# "out of memory" far from the typo), so only a number and one of these units is taken
_MEMORY_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", re.IGNORECASE)


def header_missing(path: str) -> Optional[str]:
    """The warning for a CSV leads table of the relational shape with no header (an Excel `sep=;` line
    or blank lines alone: no rows, as CSV leads are, decision 79); None for any other (a table the run
    refuses is said by it)."""
    from leadpolicy.tools.csv_header import CsvHeaderError, rows_absent
    from leadpolicy.tools.file_kinds import is_parquet

    if not os.path.isfile(path) or is_parquet(path):
        return None
    try:
        return rows_absent(path) or None
    except CsvHeaderError:
        return None


def memory_limit_value(ctx: Any, param: Any, value: Optional[str]) -> Optional[str]:
    """--memory-limit: a size DuckDB reads as the user means it, else a usage error with a hint."""
    if value is None:
        return None
    found = _MEMORY_SIZE.fullmatch(value)
    if found is not None and float(found.group(1)) > 0:
        return f"{found.group(1)}{found.group(2).upper().replace('I', 'i')}"
    if found is not None:
        raise click.BadParameter(f"`{value}` leaves DuckDB no memory: give it some, e.g. 1500MB", ctx, param)
    raise click.BadParameter(f"`{value}` is not a memory size: write a number and a unit, e.g. {_size_meant(value)} "
                             "(B, KB, MB, GB, TB; KiB, MiB, GiB, TiB)", ctx, param)


def _size_meant(value: str) -> str:
    """The size a refused --memory-limit most likely meant, written as one DuckDB reads: `1500M`
    1500MB, `2g` 2GB, `1500` 1500MB, `1e9` (bytes) 1GB, `1e3MB` 1000MB; anything else 1500MB."""
    scientific = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]+)\s*([KMGT]?)I?B?\s*", value, re.IGNORECASE)
    if scientific is not None:  # `1e3MB` was offered as 1MB, `1e9` as 1MB: the digits before the `e`
        size = float(scientific.group(1))
        letter = scientific.group(2).upper()
        if not letter:  # bytes: the largest decimal unit that leaves a number of at least 1
            for letter, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3), ("", 1.0)):
                if size >= scale:
                    size /= scale
                    break
        if 0 < size < 1e15:
            return f"{size:g}{letter}B"
        return "1500MB"
    start = re.match(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)", value, re.IGNORECASE)  # `2 gigs`: 2GB
    return f"{start.group(1)}{start.group(2).upper() or 'M'}B" if start else "1500MB"


def table_name_value(ctx: Any, param: Any, value: Optional[str]) -> Optional[str]:
    """--leads-table / --activities-table: a name. An empty one (`--leads-table "$LEADS_TABLE"` with
    the variable unset) read as no option at all, and the default table was used without a word."""
    if value is not None and not value.strip():
        example = "sales.leads" if param.name == "leads_table" else "sales.events"
        raise click.BadParameter(f"an empty name names no table: write the table, e.g. {param.opts[0]} {example}",
                                 ctx, param)
    return value


# why a --memory-limit given to another engine than duckdb changes nothing (said, not refused: the run is right)
_MEMORY_NOT_READ = {
    "python": "the python engine reads a few chunks of leads at a time, in memory that does not grow with the input",
    "spark": "Spark's memory is its own configuration (spark.driver.memory, spark.executor.memory)",
}


def say_memory_limit_unread(engine: str, memory_limit: Optional[str]) -> None:
    """One warning line when --memory-limit goes to an engine that does not read it: before, `score
    --engine python --memory-limit 1GB` ran as if it had not been given, and the user believed the
    run bounded by it. The run goes on and its exit status is unchanged."""
    if memory_limit is None or engine == "duckdb":
        return
    warn(f"--memory-limit is read by --engine duckdb only and is ignored here: {_MEMORY_NOT_READ[engine]}")


def engine_options(f: F) -> F:
    options = [
        click.option("--engine", type=click.Choice(ENGINES), default="python", show_default=True,
                     help="python: the compiled module (--jobs processes); duckdb: one SQL query, all cores, "
                          "within --memory-limit; spark: a local Spark, or --spark-master."),
        click.option("--memory-limit", metavar="SIZE", callback=memory_limit_value, help="duckdb: memory to stay within, e.g. 4GB (default: half "
                                                            "the machine's, at most 1500MB but for CSV input); beyond "
                                                            "it DuckDB spills to disk and a large file is run in slices."),
        click.option("--spark-master", metavar="URL", help="spark: the cluster (default: local[*])."),
        click.option("--activities", "activities_path", metavar="FILE",
                     help="duckdb/spark: INPUT is the leads table of the relational shape and FILE its activities "
                          "table (Parquet or CSV); a .parquet INPUT needs it."),
        click.option("--leads-table", metavar="NAME", callback=table_name_value,
                     help="duckdb: INPUT is a DuckDB database; its leads table."),
        click.option("--activities-table", metavar="NAME", callback=table_name_value,
                     help="duckdb: INPUT is a DuckDB database; its activities table."),
        click.option("--mapping", "mapping_path", metavar="FILE",
                     help="duckdb/spark: table and column names of the relational shape, a JSON object (docs/sql.md)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


# the options that say what is read, which one engine or one shape of input reads (docs/sql.md);
# --memory-limit and --spark-master, which change only where and how, are left to the engine
_ENGINE_OF = {"activities_path": ("--activities", "duckdb or spark"), "mapping_path": ("--mapping", "duckdb or spark"),
              "leads_table": ("--leads-table", "duckdb"), "activities_table": ("--activities-table", "duckdb")}
JSON_LINES = (".jsonl", ".ndjson", ".json")  # the SQL engines' names of JSON Lines beside --activities


def refuse_unused_options(input_path: str, options: dict[str, Any], input_format: Optional[str] = None,
                          delimiter: Optional[str] = None) -> None:
    """A usage error for an option that says what to read and that the run would ignore: of another engine
    (with the python engine, `--activities` left every CSV lead without its activities, without a
    word), or of another shape of input than INPUT's; the python engine's CSV options with an SQL
    engine, which reads INPUT by its name and a CSV header's delimiter from the header."""
    from leadpolicy.tools.file_kinds import is_duckdb_database, is_parquet

    engine = options.get("engine", "python")
    if engine != "python" and delimiter is not None:
        raise click.UsageError(f"--delimiter is read by --engine python; --engine {engine} takes the delimiter the CSV "
                               "header line uses most (of , ; | and tab): drop --delimiter, or use --engine python")
    if engine != "python" and input_format is not None and input_path != "-":
        csv_named = input_path.lower().endswith(".csv")
        if options.get("activities_path") or is_duckdb_database(input_path) or is_parquet(input_path):
            raise click.UsageError(f"--input-format is the format of leads with their activities (JSON Lines or CSV), "
                                   f"and {input_path} is a table of the relational shape: drop --input-format")
        if (input_format == "csv") != csv_named:
            raise click.UsageError(f"--input-format {input_format} is read by --engine python; --engine {engine} reads "
                                   f"{input_path} as {'CSV' if csv_named else 'JSON Lines'} by its name: name it "
                                   f"{'.csv' if input_format == 'csv' else '.jsonl'}, or use --engine python")
    for key, (flag, engines) in _ENGINE_OF.items():
        if options.get(key) is not None and engine not in engines.split(" or "):
            raise click.UsageError(f"{flag} goes with --engine {engines}, and this run is --engine {engine}: "
                                   f"add --engine {engines.split(' or ')[0]}, or drop {flag}")
    if engine == "python" or input_path == "-":
        return
    database = is_duckdb_database(input_path)
    nested = not database and options.get("activities_path") is None and not is_parquet(input_path)
    if database and options.get("activities_path") is not None:
        raise click.UsageError(f"{input_path} is a DuckDB database, which holds the activities table too: name it with "
                               "--activities-table (default `activities`), not --activities")
    for key in ("leads_table", "activities_table"):
        if options.get(key) is not None and not database:
            raise click.UsageError(f"{_ENGINE_OF[key][0]} names a table of a DuckDB database INPUT, and {input_path} is "
                                   "not one: with files, INPUT is the leads table and --activities FILE the activities table")
    if options.get("activities_path") is not None and input_path.lower().endswith(JSON_LINES):
        raise click.UsageError(f"{input_path} holds each lead's activities (JSON Lines, the nested shape): --activities "
                               "goes with a leads table (Parquet or CSV, one row per lead)")
    if options.get("mapping_path") is not None and nested:
        raise click.UsageError(f"--mapping names the tables and columns of the relational shape, and {input_path} is "
                               "read as leads with their activities (JSON Lines or CSV): it goes with --activities FILE "
                               "or a DuckDB database INPUT")


def uses_sql_engine(input_path: str, options: dict[str, Any]) -> bool:
    return options.get("engine", "python") != "python" or input_path.lower().endswith(".parquet")


@contextlib.contextmanager
def spooled(input_path: str, options: dict[str, Any], input_format: Optional[str]) -> Iterator[str]:
    """The leads a SQL engine reads, as a file: DuckDB and Spark read a table more than once (a
    sniffer, then its rows), and standard input or a pipe can be read only once, so those leads are
    first copied, as they come, to a temporary file (named .csv for CSV leads, else .jsonl: the
    engines read by the name) that is removed at the end; a file is read where it is. The relational
    shape's tables (--activities) are not copied: the engine says a pipe is not a table.
    decisions.md 73."""
    from leadpolicy.cli.common import STDIN
    from leadpolicy.tools.file_kinds import is_stream

    if options.get("activities_path") or not (input_path == STDIN or is_stream(input_path)):
        yield input_path
        return
    suffix = ".csv" if input_format == "csv" or input_path.lower().endswith(".csv") else ".jsonl"
    with tempfile.TemporaryDirectory(prefix="leadpolicy-input-") as folder:
        copy = os.path.join(folder, "leads" + suffix)
        source = sys.stdin.buffer if input_path == STDIN else open(input_path, "rb")
        try:
            with open(copy, "wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
        finally:
            if source is not sys.stdin.buffer:
                source.close()
        yield copy


def _folder_without_files(path: str) -> bool:
    """A local folder holding no file Spark would read (it passes over names starting with `_` or `.`,
    as `_SUCCESS` and `.crc` files)."""
    if not os.path.isdir(path):
        return False
    for _, _, names in os.walk(path):
        if any(not name.startswith(("_", ".")) for name in names):
            return False
    return True


def score_with_engine(policy: Any, input_path: str, output: Optional[str], fmt: str, moment: Any, options: dict[str, Any],
                      quiet: bool, shown: Optional[str] = None) -> NoReturn:
    """Run the SQL engine; the summary and the exit status as the python engine's. `shown`: the INPUT
    the user named, where `input_path` is a copy of it (Parquet leads as JSON Lines)."""
    from leadpolicy.syntax.nodes import DISQUALIFIED

    engine = options["engine"]
    if engine == "python":
        raise click.UsageError("Parquet input is read by --engine duckdb or --engine spark when it is a leads table of the "
                               "relational shape, as this one is (no `fields` column; with --activities FILE); leads "
                               "as in JSON Lines (columns id, fields, activities, stage) are read by every engine")
    say_memory_limit_unread(engine, options.get("memory_limit"))
    for path in (input_path, options.get("activities_path")):
        if engine == "duckdb" and path is not None and os.path.isdir(path):  # as every command says it (Spark reads a folder)
            raise FileProblem(f"{path} is a directory, not a file", path=path)
        if engine == "spark" and path is not None and not quiet and _folder_without_files(path):
            from leadpolicy.cli.common import warn

            warn(f"{path} is a folder with no files in it: there are no {'leads' if path == input_path else 'activities'} "
                 "to score")  # as of an empty file (Spark reads a folder of files; it said nothing)
        refuse_compressed(path, None)
        # a Parquet file or a DuckDB database is read, by its first bytes whatever its name; not these
        refuse_table_file(path, {"sqlite": EXPORT_AS_TABLES, "xls": EXPORT_AS_TABLES}, read=("parquet", "duckdb"))
    try:
        from leadpolicy.backends.sql import MissingExtra, extras

        # the engine's own package first: its extra brings sqlglot too, so one install does
        {"duckdb": extras.duckdb, "spark": extras.pyspark}[engine]()
        from leadpolicy.backends.sql.batch import InputProblem
        from leadpolicy.backends.sql.engines import score_command
        from leadpolicy.tools.atomic import OutputProblem
    except ImportError as error:  # sqlglot missing: one line naming the extra, not a usage error
        raise FileProblem(str(error)) from None
    from leadpolicy.cli.common import STDIN, display_name
    from leadpolicy.tools.file_kinds import is_stream

    # the INPUT as the user named it (`<stdin>`), where input_path is a copy (spooled, Parquet leads)
    named = display_name(shown if shown is not None else input_path)
    if input_path.lower().endswith(".csv") and not options.get("activities_path"):
        # the python engine's CSV: its header read, warned about and refused the same way
        from leadpolicy.backends.sql.csv_input import csv_layout
        from leadpolicy.cli.common import EXIT_FAILED, warn
        from leadpolicy.tools.csv_header import CsvHeaderError

        try:
            layout = csv_layout(input_path, policy)[0]
        except CsvHeaderError as error:
            raise FileProblem(f"{named}: {error}", EXIT_FAILED) from None
        except (OSError, UnicodeDecodeError):
            layout = None  # said below, by the engine's own reading
        for message in layout.warnings if layout is not None and not quiet else ():
            warn(message)
    user = shown if shown is not None else input_path
    if not quiet and not (user == STDIN or is_stream(user)) and os.path.isfile(input_path) and os.path.getsize(input_path) == 0:
        from leadpolicy.cli.common import warn

        warn(f"{named} is empty: there are no leads to score")  # as the python engine says it (not of a pipe)
    elif not quiet and options.get("activities_path"):
        from leadpolicy.cli.common import warn

        missing = header_missing(input_path)
        if missing:
            warn(missing)
    if options.get("mapping_path"):
        mapping = read_mapping(options["mapping_path"])  # its problems said as compile and diff say them
        warn_undeclared(policy, mapping, quiet)
    from leadpolicy.tools.csv_header import CsvHeaderError
    from leadpolicy.tools.progress import progress_bar

    # the leads written of the lines or rows the engine counts before it writes (Spark: of the lines of a
    # JSON Lines file and the rows of a table; else the count alone), cleared before any message below
    bar = progress_bar("scoring", None, quiet)
    try:
        summary = score_command(policy, input_path, output, fmt, moment, engine=engine, notes=not quiet,
                                activities=options.get("activities_path"), mapping_path=options.get("mapping_path"),
                                leads_table=options.get("leads_table"), activities_table=options.get("activities_table"),
                                memory_limit=options.get("memory_limit"), spark_master=options.get("spark_master"),
                                progress=bar)
    except MissingExtra as error:
        raise FileProblem(str(error)) from None
    except (InputProblem, extras.SparkStartError, OutputProblem) as error:  # each names its own file
        raise FileProblem(str(error)) from None
    except CsvHeaderError as error:  # the python engine's CSV, read by its reader (a quote that never closes): as it says it
        from leadpolicy.cli.common import EXIT_FAILED

        raise FileProblem(f"{named}: {error}", EXIT_FAILED) from None
    except UnicodeDecodeError as error:  # the python engine's CSV, read by its reader (no row written yet): as it says it
        from leadpolicy.cli.common import EXIT_FAILED
        from leadpolicy.tools.csv_header import not_utf8

        raise FileProblem(f"{named} {not_utf8(error, input_path)}", EXIT_FAILED) from None
    except (ValueError, OSError) as error:
        raise FileProblem(f"{named}: {error}") from None
    except Exception as error:  # the engine's own errors (a file it cannot parse, a missing column)
        if type(error).__module__.split(".")[0] in ("duckdb", "_duckdb", "pyspark", "py4j"):
            tables = bool(options.get("activities_path") or options.get("leads_table"))
            file = engine_error_file(error, input_path)
            raise FileProblem(f"{named if file == input_path else file}: {engine} cannot read it: "
                              f"{engine_error_text(error, tables)}") from None
        raise
    finally:
        if bar is not None:
            bar.clear()
    if not quiet:
        stages = [stage.name for stage in policy.tree.stages] + [DISQUALIFIED]
        for line in summary.lines(stages):
            say(line, err=True)
    sys.exit(1 if summary.errors else 0)


# ---------------------------------------------------------------- compile --target sql

DIALECTS = ("duckdb", "spark", "postgres", "snowflake", "bigquery")


def engine_error_text(error: BaseException, tables: bool = False) -> str:
    """The first line of an engine's error, or for a line DuckDB's reader refuses as not UTF-8
    (it refuses the whole file) which line, and what to do: the Python engine writes an error
    row for that line alone (`tables`: the relational shape's CSV tables, which only the SQL
    engines read: re-encode the file). A CSV error says DuckDB's reason too (a line too long)."""
    text = str(error)
    first = text.splitlines()[0] if text else type(error).__name__
    line = re.search(r"CSV Error on Line: (\d+)", text)
    if line and "not utf-8 encoded" in text:
        if tables:
            from leadpolicy.backends.sql.table_problems import not_utf8_table

            return not_utf8_table(int(line.group(1)), "DuckDB")
        return (f"line {line.group(1)} is not UTF-8 text, and DuckDB reads no file that holds such a line;"
                " use --engine python (it writes an error row for that line), or re-encode the file")
    reason = re.search(r"^(Maximum line size of .*|Expected Number of Columns: .*)$", text, re.MULTILINE)
    if line and reason:
        return f"{first}: {reason.group(1).strip()}"
    return first


def engine_error_file(error: BaseException, default: str) -> str:
    """The file an engine's error is about: DuckDB's CSV errors name it (`file = ...`), and with
    the relational shape it may be the activities table, not INPUT; else `default`."""
    named = re.search(r"^\s*file = (.+)$", str(error), re.MULTILINE)
    return named.group(1).strip() if named else default


def read_mapping(path: str) -> dict[str, Any]:
    """--mapping FILE (compile, score, diff): a JSON object of names, checked; else a FileProblem
    naming the file, said as every command says a file's problem (a missing file: `no such file`)."""
    import json

    from leadpolicy.backends.sql.inputs import Mapping
    from leadpolicy.cli.common import read_text

    text = read_text(path, what='a mapping is a JSON object of names, e.g. {"fields": {"company_size": "employees"}}')
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as error:  # where, the line, a caret and the fix, as eval shows a lead's JSON
        from leadpolicy.cli.json_errors import render_json_error, yaml_as_json

        as_json = yaml_as_json(text) if error.pos == len(text) - len(text.lstrip()) else None
        hint = f"the mapping is JSON, not YAML: write {as_json}" if as_json else None
        raise RenderedProblem(render_json_error(path, text, error, " (a mapping is a JSON object of names: docs/sql.md, "
                                                                   "\"Names: the mapping\")", hint)) from None
    try:
        json.loads(text, object_pairs_hook=_once_each)
        Mapping.from_dict(mapping)
    except ValueError as error:
        raise FileProblem(f"{path}: {error} (docs/sql.md, \"Names: the mapping\")") from None
    return dict(mapping)


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object of the mapping whose keys are each written once. JSON keeps a repeated key's
    last value: `{"fields": {"created": null}, ..., "fields": {"budget": null}}` dropped the first
    `fields` without a word, and `created` was then said missing from the table."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"`{key}` is written twice in one object, and JSON keeps only the last: write it once "
                             f"(merge the two)")
        seen[key] = value
    return seen


class RenderedProblem(FileProblem):
    """A file's problem already rendered as a diagnostic (its own `error[...]` headline, the file,
    line and column, the line and a caret, the hint): shown as it is, exit status 2."""

    def show(self, file: Optional[IO[Any]] = None) -> None:
        say(self.format_message(), err=True)


def warn_undeclared(policy: Any, mapping: Optional[dict[str, Any]], quiet: bool = False) -> None:
    """A warning for each name in the mapping's `fields` or `props` that the policy does not declare."""
    from leadpolicy.backends.sql.inputs import undeclared_names
    from leadpolicy.cli.common import warn

    for message in () if quiet or not mapping else undeclared_names(policy.tree, mapping):
        warn(message)


def sql_target_options(f: F) -> F:
    options = [
        click.option("--target", type=click.Choice(["python", "sql"]), default=None, show_default="python",
                     help="python: the standalone module; sql: one query deciding every lead (the default when "
                          "an sql option is given or FILE ends in .sql)."),
        click.option("--dialect", type=click.Choice(DIALECTS), default=None, show_default="duckdb", help="sql: the SQL dialect."),
        click.option("--dbt", is_flag=True, help="sql: a dbt model (inputs through ref()/source(), as_of a dbt var)."),
        click.option("--leads-ref", metavar="NAME", help="--dbt: the leads model (NAME or source:SOURCE.TABLE)."),
        click.option("--activities-ref", metavar="NAME", help="--dbt: the activities model (NAME or source:SOURCE.TABLE)."),
        click.option("--mapping", "mapping_path", metavar="FILE", help="sql: table and column names, a JSON object (docs/sql.md)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


SQL_ONLY = {"dialect": "--dialect", "dbt": "--dbt", "leads_ref": "--leads-ref", "activities_ref": "--activities-ref",
            "mapping_path": "--mapping"}


def resolve_target(options: dict[str, Any], output: Optional[str]) -> str:
    """--target as given; else sql when an sql-only option is given or FILE ends in .sql, else python.
    An sql-only option with --target python is a usage error (it would be ignored)."""
    given = [flag for key, flag in SQL_ONLY.items() if options.get(key)]
    target = options.get("target")
    if target is None:
        target = "sql" if given or (output or "").lower().endswith(".sql") else "python"
    elif target == "python" and given:
        raise click.UsageError(f"{given[0]} is an option of --target sql, not of the Python module: "
                               "drop it, or write --target sql")
    suffix = os.path.splitext(output or "")[1].lower()
    if (target, suffix) in (("python", ".sql"), ("sql", ".py")):
        # the file's name promises the other target: `import` of a .py holding SQL fails, and so on
        other = {"python": ("Python", ".py", "--target sql"), "sql": ("an SQL query", ".sql", "--target python")}[str(target)]
        raise click.UsageError(f"{output} would hold {other[0]}: name it {other[1]}, or write {other[2]}")
    options["target"] = target
    options["dialect"] = options.get("dialect") or "duckdb"
    return str(target)


def sql_text(policy: Any, options: dict[str, Any]) -> str:
    if options["target"] != "sql" or (not options["dbt"] and (options["leads_ref"] or options["activities_ref"])):
        if options["leads_ref"] or options["activities_ref"]:
            raise click.UsageError("--leads-ref and --activities-ref go with --target sql --dbt")
    mapping = read_mapping(options["mapping_path"]) if options.get("mapping_path") else None
    warn_undeclared(policy, mapping)
    try:
        from leadpolicy.backends.sql.fragments import NulInPolicyText
        from leadpolicy.backends.sql.text import dbt_reference, query_text

        for option, key in (("--leads-ref", "leads_ref"), ("--activities-ref", "activities_ref")):
            try:
                if options[key] is not None:
                    dbt_reference(options[key])
            except ValueError as error:  # a wrong value: one line naming the option, with the reference meant
                raise click.BadParameter(str(error), param_hint=option) from None

        return query_text(policy, options["dialect"], mapping=mapping, dbt=options["dbt"],
                          leads_ref=options["leads_ref"], activities_ref=options["activities_ref"])
    except ImportError as error:  # MissingExtra: the message names the extra
        raise FileProblem(str(error)) from None
    except NulInPolicyText as error:  # the policy, not the command line: no usage text
        raise FileProblem(str(error)) from None
    except (ValueError, TypeError) as error:
        raise click.UsageError(str(error)) from None
