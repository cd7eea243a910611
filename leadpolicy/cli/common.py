"""Helpers the commands share: reading the files named on the command line (one
wording and one exit status per kind of problem), writing outputs atomically,
showing diagnostics.

File problems, the same in every command (docs/cli-guide.md lists them):

    no such file: PATH                          2
    PATH is a directory, not a file             2
    cannot read PATH: permission denied         2
    cannot write PATH: REASON                   2   (no such directory, a directory, full disk, ...)
    PATH is empty                               1
    PATH is not UTF-8 text (byte N)             1
    PATH is not a policy: ...                   1

A path the command cannot open was named wrongly (2, like any usage error); a
file whose contents are wrong is bad input, like a policy with errors (1).
`-` names standard input (or, after `-o`, standard output) wherever a path is taken.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, Optional, Union

import click

from leadpolicy import PolicyError
from leadpolicy.syntax.diagnostics import Diagnostic, file_problem, line_text, render, shown_path, terminal_text
from leadpolicy.tools.file_kinds import COMPRESSED_FILES, first_bytes, table_file_kind

STDIN = "-"
STDIN_NAME = "<stdin>"

# Exit statuses (the CLI guide's table).
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class FileProblem(click.ClickException):
    """A file named on the command line that cannot be used: one line, a fixed status. `path`: the
    file it is about, as typed (where it is not the one the command was given: a policy's .tests).
    Shown on its one line (`line_text`): the file names in it cannot start another."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE, path: Optional[str] = None) -> None:
        super().__init__(message)
        # click 8.5 declares exit_code a ClassVar; each problem carries its own status
        vars(self)["exit_code"] = exit_code
        self.path = path

    def show(self, file: Optional[IO[Any]] = None) -> None:
        click.echo(f"{error_label()}: {line_text(self.format_message())}", err=True)

    def diagnostic(self, path: str) -> Diagnostic:
        """The problem as `check --format json` lists it (code `file-problem`, no position); `path`
        when the problem does not name its own."""
        return file_problem(self.path or path, self.format_message())


# ---------------------------------------------------------------- colour


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty (a test's stream), or closed
        return False


def _colour(stream: Any) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return not os.environ.get("NO_COLOR") and _is_terminal(stream)


def style(text: str, *, err: bool = True, **styles: Any) -> str:
    """click.style when the stream it goes to is a terminal; plain text otherwise."""
    return click.style(text, **styles) if _colour(sys.stderr if err else sys.stdout) else text


def error_label() -> str:
    return style("error", fg="red", bold=True)


def warn(message: str) -> None:
    """A warning: one line (`line_text`), whatever file name or lead data it quotes."""
    click.echo(f"{style('warning', fg='yellow', bold=True)}: {line_text(message)}", err=True)


def say(text: str, *, err: bool = False) -> None:
    """A line for people that carries names from a policy, a lead or a file name: shown as text
    (`terminal_text`), so none of them can act on the terminal."""
    click.echo(terminal_text(text), err=err)


def echo_data(text: str) -> None:
    """An output (a policy, a module, a document) to standard output: to a pipe or a file exactly
    (click.echo drops an escape sequence, `\\x1b[2J`, from text going there, taking it for colour,
    so `fmt -` changed a rule's name that held one). To a terminal it is read, not kept: shown as
    messages show text (`terminal_text`; a CRLF line end kept as one), or a string holding
    `\\x1b]0;...` would set the window title (docs/decisions.md 63)."""
    if _is_terminal(sys.stdout):
        text = "\r\n".join(terminal_text(line) for line in text.split("\r\n"))
    click.echo(text, nl=False, color=True)


def say_line(text: str, *, err: bool = False) -> None:
    """`say` for a message that is one line by design (`error: ...`, `warning: ...`): a file name or
    a value in it shows a newline as `\\n` (`line_text`), so it cannot start a line of its own."""
    click.echo(line_text(text), err=err)


# ---------------------------------------------------------------- reading


def display_name(path: Union[str, Path]) -> str:
    """A path as typed, `-` as `<stdin>`: the name diagnostics carry (JSON keeps it as it is); a
    message for people shows it with `shown_path`."""
    return STDIN_NAME if str(path) == STDIN else str(path)


def read_bytes(path: Union[str, Path], policy: bool = False) -> bytes:
    """The bytes of a file named on the command line, or of standard input for `-`. `policy`: the
    file holds a policy or its tests (a compressed one is refused in those words)."""
    if str(path) == STDIN:
        return sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
    if policy:
        refuse_compressed(str(path), None, reads="a policy and its tests as plain UTF-8 text")
    with open_input(str(path)) as stream:
        try:
            data: bytes = stream.read()
        except OSError as error:  # a directory opens on some systems and fails on reading
            from leadpolicy.tools.atomic import why

            raise FileProblem(f"cannot read {path}: {why(error)}", path=str(path)) from None
        return data


def decode(data: bytes, name: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); anything else is a FileProblem (1)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileProblem(f"{name} is not UTF-8 text (byte {error.start + 1} is 0x{data[error.start]:02x})", EXIT_FAILED,
                          name) from None


def read_text(path: Union[str, Path], *, allow_empty: bool = False, what: str = "", policy: bool = False) -> str:
    """A text file (or standard input), checked: exists, is a file, is UTF-8, is not empty.
    `policy`: a policy or its tests (read_bytes)."""
    name = display_name(path)
    text = decode(read_bytes(path, policy), name)
    if not allow_empty and not text.strip():
        raise FileProblem(f"{name} is empty" + (f": {what}" if what else ""), EXIT_FAILED, name)
    return text


POLICY_START = 'a policy starts with `policy "NAME" version "V"`'


def read_source(path: Union[str, Path]) -> str:
    """A policy's text; an empty file or one that is plainly not a policy is a FileProblem."""
    text = read_text(path, allow_empty=True, policy=True)
    looks_like_a_policy(text, display_name(path))
    return text


_SIGNIFICANT = re.compile(r"(?:\s+|#[^\n]*)*")


def looks_like_a_policy(text: str, name: str) -> None:
    """Text whose first word (after comments) is not a word at all -- JSON, CSV of
    numbers, HTML -- is some other file given in a policy's place; nothing but white
    space and comments is an empty policy. A FileProblem (1) says which."""
    start = _SIGNIFICANT.match(text).end()  # type: ignore[union-attr]  # the pattern matches the empty string
    first = text[start:start + 1]
    if not first:  # nothing but white space and comments
        raise FileProblem(f"{name} is empty: {POLICY_START}", EXIT_FAILED, name)
    if first and not (first.isalpha() or first == "_"):
        raise FileProblem(f"{name} is not a policy (it starts with `{first}`); {POLICY_START}", EXIT_FAILED, name)


def show_diagnostics(diagnostics: list[Diagnostic], source: str) -> None:
    if diagnostics:
        click.echo(render(diagnostics, source), err=True)
        click.echo("", err=True)


# ---------------------------------------------------------------- the policy's stable name


def stable_path(path: Union[str, Path]) -> str:
    """How generated files name their policy: relative to the root of the git
    repository that holds it (found by walking up to a `.git`), or its bare file
    name outside one. The same policy gives the same bytes wherever it is built."""
    if str(path) == STDIN:
        return STDIN_NAME
    resolved = Path(os.path.abspath(path))
    for directory in resolved.parents:
        if (directory / ".git").exists():
            return resolved.relative_to(directory).as_posix()
    return resolved.name


def load_policy(path: str, nothing: str = "nothing was run") -> Any:
    """Load a policy for a command that needs a working one; exit 1 on errors.

    The policy is compiled under its stable name (see `stable_path`), so the
    compiled module and the documents do not depend on where the command ran;
    diagnostics still name the file as it was typed.
    """
    import leadpolicy

    source = read_source(path)
    typed = display_name(path)
    try:
        return leadpolicy.loads(source, stable_path(path))
    except PolicyError as error:
        diagnostics = [dataclasses.replace(d, path=typed) for d in error.diagnostics]
        show_diagnostics(diagnostics, source)
        count = len([d for d in diagnostics if d.is_error])
        say(f"{shown_path(typed)}: {count} error{'s' if count != 1 else ''}; {nothing}", err=True)
        sys.exit(EXIT_FAILED)


# ---------------------------------------------------------------- finding policies and their tests


# Directories a search of a tree does not enter: a repository's tools, not its policies (a package in
# a virtual environment may ship example policies; `fmt` would rewrite them). Named as PATH, they are searched.
SKIPPED_DIRECTORIES = frozenset({"node_modules", "site-packages", "dist-packages", "__pycache__"})


def files_below(directory: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """The files with one of `suffixes` under `directory`, sorted; hidden directories (`.git`,
    `.venv`, `.tox`), SKIPPED_DIRECTORIES and any virtual environment (a `pyvenv.cfg` in it) are
    not entered (docs/decisions.md 71)."""
    found: list[Path] = []
    for top, directories, files in os.walk(directory):
        directories[:] = [name for name in directories if not _skipped(Path(top) / name)]
        found.extend(Path(top) / name for name in files if name.endswith(suffixes))
    return sorted(path for path in found if path.is_file())


def _skipped(directory: Path) -> bool:
    name = directory.name
    return name.startswith(".") or name in SKIPPED_DIRECTORIES or (directory / "pyvenv.cfg").is_file()


def policy_files(paths: Iterable[str]) -> list[Path]:
    """Expand directories into the .policy files below them, sorted; a `.tests`
    file stands for the policy beside it. Each policy once, in order. A directory
    without policies is warned about when other paths name some."""
    found: list[Path] = []
    empty: list[str] = []
    for raw in paths:
        path = Path(raw)
        if raw != STDIN and path.is_dir():
            below = files_below(path, (".policy",))
            found.extend(below)
            if not below:
                empty.append(raw)
        elif path.suffix == ".tests":
            found.append(path.with_suffix(".policy"))
        else:
            found.append(path)
    if found:  # (with none at all, the command says so as its error)
        for raw in empty:  # a directory named for its policies that has none: a typo, or the wrong one
            warn(f"no .policy files found in {raw}")
    return list(dict.fromkeys(found))


def sibling_tests(path: Path) -> Any:
    """The `NAME.tests` file beside `NAME.policy`, parsed, or ((), None, "")."""
    from leadpolicy.syntax.parser import parse_tests

    if str(path) == STDIN:
        return (), None, ""
    tests_path = path.with_suffix(".tests")
    if not tests_path.exists():
        return (), None, ""
    text = read_text(tests_path, allow_empty=True, policy=True)
    return parse_tests(text, str(tests_path)), str(tests_path), text


def check_file(path: Path) -> Any:
    """Parse and check a policy and its sibling tests; returns (diagnostics, sources by path)."""
    from leadpolicy.check.checker import check
    from leadpolicy.syntax.parser import parse

    tests = path.with_suffix(".tests")
    if str(path) != STDIN and not path.exists() and path.suffix == ".policy" and tests.is_file():
        # `check orphan.tests` named only the policy the user never typed
        raise FileProblem(f"no such file: {path} (the policy whose tests {tests} holds; a NAME.tests file is "
                          "checked and run with NAME.policy beside it)", path=str(path))
    source = read_source(path)
    name = display_name(path)
    sources = {name: source}
    try:
        tree = parse(source, name)
    except PolicyError as error:
        return error.diagnostics, sources
    try:
        tests, tests_path, tests_text = sibling_tests(path)
    except PolicyError as error:
        sources[str(path.with_suffix(".tests"))] = error.source
        result = check(tree)
        return result.diagnostics + error.diagnostics, sources
    if tests_path:
        sources[tests_path] = tests_text
    result = check(tree, tests, tests_path)
    return result.diagnostics, sources


def render_by_file(diagnostics: list[Diagnostic], sources: dict[str, str]) -> str:
    parts = []
    for path, source in sources.items():
        mine = [d for d in diagnostics if d.path == path]
        if mine:
            parts.append(render(mine, source))
    return "\n\n".join(parts)


# ---------------------------------------------------------------- writing


def same_file(a: Union[str, Path], b: Union[str, Path]) -> bool:
    """Whether two paths name one file: the same resolved path, or the same device
    and inode (a hard link, another spelling of the path)."""
    if STDIN in (str(a), str(b)):
        return False
    try:
        if os.path.realpath(a) == os.path.realpath(b):
            return True
        first, second = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def refuse_overwriting(output: Optional[str], inputs: Iterable[tuple[str, str]]) -> None:
    """Exit 2 before any work when `-o` names one of the inputs, a directory, or a
    file in a directory that does not exist. `inputs` are (path, what it is),
    e.g. ("leads.jsonl", "the input")."""
    if not output or output == STDIN:
        return
    target = Path(output)
    if target.is_dir():
        raise FileProblem(f"cannot write {output}: it is a directory")
    if not Path(os.path.realpath(target)).parent.is_dir():
        raise FileProblem(f"cannot write {output}: no such directory: {target.parent}")
    for path, what in inputs:
        if same_file(output, path):
            raise FileProblem(f"-o {output} is {what} ({path}); writing there would destroy it: choose another file")


def to_stdout(output: Optional[str]) -> bool:
    return not output or output == STDIN


@contextmanager
def output_stream(output: Optional[str]) -> Iterator[Any]:
    """A binary stream for the output: standard output for none or `-`, else a
    temporary file beside OUTPUT that replaces it only when the block succeeds."""
    from leadpolicy.tools.atomic import OutputProblem, atomic_writer

    if to_stdout(output):
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    assert output is not None  # to_stdout(None) holds
    from leadpolicy.tools.atomic import special_file

    if special_file(output):  # /dev/stdout, a named pipe: nothing to replace, write straight to it
        try:
            stream = open(output, "wb")
        except OSError as error:
            from leadpolicy.tools.atomic import why

            raise FileProblem(f"cannot write {output}: {why(error)}") from None
        from leadpolicy.tools.atomic import guarded

        with stream:
            try:  # `-o /dev/full`: one line naming it, as a full disk is said for a file
                yield guarded(stream, output)
                guarded(stream, output).flush()
            except OutputProblem as problem:
                raise FileProblem(str(problem)) from None
        return
    try:
        with atomic_writer(output) as sink:
            yield sink
    except OutputProblem as problem:
        raise FileProblem(str(problem)) from None


def write_output(output: Optional[str], text: str) -> None:
    """Write all of `text` to OUTPUT (atomically) or to standard output."""
    if to_stdout(output):
        echo_data(text)
        return
    with output_stream(output) as stream:
        stream.write(text.encode("utf-8"))


def as_of_option(f: Any) -> Any:
    return click.option(
        "--as-of",
        metavar="WHEN",
        help="Evaluation time, ISO 8601 (2026-11-22 or 2026-11-22T10:30:00Z). Default: now (UTC).",
    )(f)


BEYOND_TIMES = "is outside the times leadpolicy reads: 0001-01-01 to 9999-12-31, in UTC"


def as_of_moment(as_of: Optional[str], option: str = "--as-of") -> Any:
    """--as-of as a datetime (now, UTC, when it is not given); a value that is no ISO 8601 date or
    timestamp is a usage error naming the option (exit 2), as every command says it, and so is one
    that is, but outside the datetime range in UTC (`9999-12-31T23:59:59-05:00`: an internal error,
    OverflowError, in every command)."""
    from leadpolicy.semantics.runtime import LeadDataError, datetime_from_micros, read_as_of

    try:
        return datetime_from_micros(read_as_of(as_of))
    except LeadDataError:
        raise click.BadParameter(f"`{as_of}` is not an ISO 8601 date or timestamp", param_hint=option) from None
    except OverflowError:
        raise click.BadParameter(f"`{as_of}` {BEYOND_TIMES}", param_hint=option) from None


def json_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--json`, one of the common options (check, diff, report, score take it beside --format or -o)."""
    return click.option("--json", "as_json", is_flag=True, help=help_text)


def format_with_json(fmt: Optional[str], as_json: bool, json_name: str = "json") -> Optional[str]:
    """--format, with --json standing for `--format JSON_NAME`; the two naming different formats is a usage error."""
    if not as_json:
        return fmt
    if fmt is not None and fmt != json_name:
        raise click.UsageError(f"--json and --format {fmt} ask for two formats: drop one of them")
    return json_name


def plural(count: int, noun: str, many: str = "") -> str:
    """`1 test`, `2 tests`, `1,000 leads`."""
    return f"{count:,} {noun if count == 1 else (many or noun + 's')}"


def refuse_compressed(path: Optional[str], command: Optional[str] = "score POLICY",
                      reads: str = "plain JSON Lines, CSV or Parquet") -> None:
    """A compressed input (by its first bytes: `leads.jsonl.gz`) would read as lines of garbage: say
    what it is and how to give it, decompressed or (`command` reads standard input) streamed into
    `leadpolicy COMMAND -` (a FileProblem, exit 1). `reads`: what leadpolicy reads in its place."""
    head = first_bytes(path, 6)
    for magic, kind, unpack, stream_it in COMPRESSED_FILES:
        if path is not None and head.startswith(magic):
            shown = shlex.quote(path)
            streamed = f", or stream it: `{stream_it.format(path=shown)} | leadpolicy {command} -`" if command else ""
            raise FileProblem(f"{path} is {kind}-compressed, and leadpolicy reads {reads}: "
                              f"decompress it first (`{unpack.format(path=shown)}`){streamed}", EXIT_FAILED, path)


EXPORT_AS_TEXT = "export its leads as JSON Lines or CSV (docs/cli-guide.md)"
EXPORT_AS_TABLES = ("export its two tables as Parquet or CSV, the relational shape (docs/sql.md), or its leads as "
                    "JSON Lines or CSV (docs/cli-guide.md)")


def misnamed_parquet(path: str, engines: str) -> str:
    """refuse_table_file's fix for a Parquet file given where JSON Lines or CSV is read."""
    return (f"Parquet holds the relational shape, read by {engines}: give {shlex.quote(path)} with its activities "
            "table (`--activities ACTIVITIES.parquet --engine duckdb`, docs/sql.md)")


def refuse_table_file(path: Optional[str], fixes: Optional[dict[str, str]] = None, read: tuple[str, ...] = ()) -> None:
    """An input read as JSON Lines or CSV that is a database or a Parquet file (by its first bytes,
    whatever its name) would read as lines of garbage, each a data error: say what it is and how
    this command reads it or how to export it (`fixes` by key of TABLE_FILES, else
    EXPORT_AS_TEXT) instead (a FileProblem, exit 1). Kinds in `read` pass."""
    found = table_file_kind(path)
    if found is not None and found[0] not in read:  # `read`: the kinds this command reads itself
        fix = (fixes or {}).get(found[0], EXPORT_AS_TEXT)
        readable = "JSON Lines, CSV, Parquet or a DuckDB database" if read else "JSON Lines or CSV"
        raise FileProblem(f"{path} is {found[1]}, not {readable}: {fix}", EXIT_FAILED)


def one_json_document(path: Optional[str], policy: str = "POLICY") -> Optional[str]:
    """A warning when a JSON Lines input looks like one JSON document written over several lines
    (its first line is `{` or `[` alone, or a JSON array), or like CSV (`contacts.tsv`, `leads.txt`
    from a CRM): every line would be read as a lead and most would be "not valid JSON". None for
    anything else (a file named .csv, standard input, JSON Lines). Every command that reads leads
    (score, diff --leads, report) takes `--input-format csv`."""
    if path is None or path.lower().endswith((".csv", ".parquet")):
        return None
    head = first_bytes(path, 1 << 16)
    if b"\x00" in head:  # a binary file: a Parquet file or a database (read as such), or one said elsewhere
        return None
    first = next((line.strip() for line in head.lstrip(b"\xef\xbb\xbf").splitlines() if line.strip()), b"")
    from leadpolicy.cli.json_errors import looks_like_csv

    header = first.decode("utf-8", errors="replace")
    if looks_like_csv(header):
        shown = header if len(header) <= 60 else header[:57] + "..."
        return (f"{path} looks like CSV (its first line, `{shown}`, is a header), not JSON Lines: each line is read "
                "as a lead, and each is a data error; to read it as CSV, give `--input-format csv` (or name it .csv)")
    if first not in (b"{", b"[") and not first.startswith(b"["):
        return None
    shown = shlex.quote(path)
    if first == b"{":
        fix = f"for one lead, `leadpolicy eval {policy} {shown}`; to make it one line, `jq -c . {shown}`"
    else:
        fix = f"to write each lead of the array on a line of its own, `jq -c '.[]' {shown} > leads.jsonl`"
    return (f"{path} looks like one JSON document, not JSON Lines (one lead per line): each line is read as a "
            f"lead; {fix}")


LEAD_KEYS = ("id", "fields", "activities", "stage")


def misplaced_keys(policy: Any, lead: Any, where: str = "") -> Optional[str]:
    """A warning when a lead's fields (or activities) sit at its top level, not inside `fields`
    (`{"seniority": "vp"}`): they are not read, and the lead is decided as one without them."""
    if not isinstance(lead, dict):
        return None
    declared = {f.name.lower() for f in policy.tree.fields} | {a.name.lower() for a in policy.tree.activities}
    outside = [key for key in lead if isinstance(key, str) and key not in LEAD_KEYS and key.strip().lower() in declared]
    if not outside:
        return None
    names = ", ".join(f"`{key}`" for key in outside)
    return (f"{where}{names} {'is' if len(outside) == 1 else 'are'} at the top of the lead, where only "
            f"{', '.join(LEAD_KEYS)} are read: put fields inside \"fields\" and activities inside \"activities\" "
            '({"id": ..., "fields": {...}, "activities": [...], "stage": ...}); '
            f"{'it was' if len(outside) == 1 else 'they were'} not read")


def misplaced_in_first_lead(policy: Any, path: Optional[str]) -> Optional[str]:
    """misplaced_keys for the first line of a JSON Lines file (a file, not standard input): said once, before
    every lead of the file is decided without its fields."""
    import json

    head = first_bytes(path, 1 << 16).lstrip(b"\xef\xbb\xbf")
    line = next((raw for raw in head.splitlines() if raw.strip()), b"")
    try:
        lead = json.loads(line)
    except (ValueError, RecursionError):  # nested too deeply: the scorer writes that line's error row
        return _a_policy_for_leads(head, path)
    return misplaced_keys(policy, lead, f"{path}, line 1 (and maybe more): ")


def _a_policy_for_leads(head: bytes, path: Optional[str]) -> Optional[str]:
    """The warning for a policy named where the leads go (`score acme.policy acme.policy`: every line an
    error row, and nothing said about why), or None."""
    for number, raw in enumerate(head.splitlines(), 1):
        text = raw.strip()
        if not text or text.startswith(b"#"):
            continue
        if re.match(rb'policy\s+"', text) is None:
            return None
        shown = text.decode("utf-8", "replace")
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return (f"{path} holds a policy, not leads (line {number}: `{shown}`): every line of it is a data error; "
                "the leads (JSON Lines or CSV) come after the policy")
    return None


def open_input(path: str) -> Any:
    """A binary stream on an input file named on the command line; problems as FileProblem."""
    refuse_compressed(path)
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise FileProblem(f"no such file: {path}", path=path) from None
    except IsADirectoryError:
        raise FileProblem(f"{path} is a directory, not a file", path=path) from None
    except OSError as error:
        from leadpolicy.tools.atomic import why

        raise FileProblem(f"cannot read {path}: {why(error)}", path=path) from None
