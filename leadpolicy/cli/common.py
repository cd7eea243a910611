"""Helpers the commands share: finding and reading policy files, showing diagnostics."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterable

import click

from leadpolicy import PolicyError
from leadpolicy.syntax.diagnostics import Diagnostic, render


def policy_files(paths: Iterable[str]) -> list[Path]:
    """Expand directories into the .policy files below them, sorted; a `.tests`
    file stands for the policy beside it. Each policy once, in order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(path.rglob("*.policy")))
        elif path.suffix == ".tests":
            found.append(path.with_suffix(".policy"))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


class FileProblem(click.ClickException):
    """A file that cannot be read or written: one line naming it, exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def _reason(error: OSError) -> str:
    if isinstance(error, IsADirectoryError):
        return "it is a directory"
    if isinstance(error, FileNotFoundError):
        return "no such directory" if error.filename and not Path(str(error.filename)).exists() else "not found"
    if isinstance(error, PermissionError):
        return "permission denied"
    return error.strerror or str(error)


def write_output(output: str, text: str, what: str) -> None:
    """Write a command's text output to OUTPUT (`-`: standard output), atomically."""
    from leadpolicy.tools.atomic import write_text_atomically

    if output == "-":
        click.echo(text, nl=False)
        return
    try:
        write_text_atomically(output, text)
    except OSError as error:
        target = Path(output)
        if not target.parent.exists():
            raise FileProblem(f"cannot write {output}: the folder {target.parent} does not exist") from None
        raise FileProblem(f"cannot write {output}: {_reason(error)}") from None
    click.echo(f"wrote {output} ({what})", err=True)


def read_source(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")  # a byte-order mark is not part of the policy
    except FileNotFoundError:
        raise click.UsageError(f"no such file: {path}")
    except (OSError, UnicodeDecodeError) as error:
        raise click.UsageError(f"cannot read {path}: {error}")


def show_diagnostics(diagnostics: list[Diagnostic], source: str) -> None:
    if diagnostics:
        click.echo(render(diagnostics, source), err=True)
        click.echo("", err=True)


def load_policy(path: str):
    """Load a policy for a command that needs a working one; exit 1 on errors."""
    import leadpolicy

    source = read_source(Path(path))
    try:
        return leadpolicy.loads(source, path)
    except PolicyError as error:
        show_diagnostics(error.diagnostics, source)
        count = len([d for d in error.diagnostics if d.is_error])
        click.echo(f"{path}: {count} error{'s' if count != 1 else ''}; nothing was run", err=True)
        sys.exit(1)


def sibling_tests(path: Path):
    """The `NAME.tests` file beside `NAME.policy`, parsed, or ((), None, "")."""
    from leadpolicy.syntax.parser import parse_tests

    tests_path = path.with_suffix(".tests")
    if not tests_path.exists():
        return (), None, ""
    text = read_source(tests_path)
    return parse_tests(text, str(tests_path)), str(tests_path), text


def check_file(path: Path):
    """Parse and check a policy and its sibling tests; returns (diagnostics, sources by path)."""
    from leadpolicy.check.checker import check
    from leadpolicy.syntax.parser import parse

    source = read_source(path)
    sources = {str(path): source}
    try:
        tree = parse(source, str(path))
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


def as_of_option(f):
    return click.option(
        "--as-of",
        metavar="WHEN",
        help="Evaluation time, ISO 8601 (2026-11-22 or 2026-11-22T10:30:00Z). Default: now (UTC).",
    )(f)


