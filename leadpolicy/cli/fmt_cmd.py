"""`leadpolicy fmt`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterable

import click

from leadpolicy import PolicyError
from leadpolicy.cli.app import main
from leadpolicy.cli.common import (
    STDIN,
    STDIN_NAME,
    FileProblem,
    echo_data,
    files_below,
    output_stream,
    read_source,
    read_text,
    show_diagnostics,
)
from leadpolicy.syntax.diagnostics import shown_path
from leadpolicy.tools.file_kinds import first_bytes, is_stream


def source_files(paths: Iterable[str]) -> list[Path]:
    """Expand directories into the .policy and .tests files below them, sorted."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if raw != STDIN and path.is_dir():
            found.extend(files_below(path, (".policy", ".tests")))
        else:
            found.append(path)
    return found


def unified_diff(source: str, formatted: str, name: str) -> str:
    """The change from `source` to `formatted`, as `diff -u` writes it (a last line without a
    newline is marked as diff marks it)."""
    import difflib

    lines = []
    for line in difflib.unified_diff(source.splitlines(keepends=True), formatted.splitlines(keepends=True),
                                     shown_path(name), f"{shown_path(name)} (formatted)"):
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(lines)


@main.command("fmt")
@click.argument("paths", nargs=-1, required=True)
@click.option("--check", is_flag=True, help="Write nothing; list the files that would change, exit 1 if any.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Write nothing; print what would change as a unified diff, exit 1 if anything would.")
def fmt_command(paths: tuple[str, ...], check: bool, show_diff: bool) -> None:
    """Rewrite policies and .tests files in the canonical layout (`-`: stdin to stdout)."""
    from leadpolicy.tools.fmt import format_text, keep_line_endings

    check = check or show_diff  # --diff writes nothing either

    targets: list[str] = []
    for raw in paths:
        targets.extend(["-"] if raw == "-" else [str(p) for p in source_files([raw])])
    if not targets:
        raise click.UsageError("no .policy or .tests files found in " + ", ".join(shown_path(path) for path in paths))
    status = 0
    changed = False
    for target in targets:
        stdin = target == STDIN or is_stream(target)  # `/dev/stdin`, a pipe: nothing to rewrite in place, printed
        try:
            source = read_text(target, allow_empty=True, policy=True) if target.endswith(".tests") else read_source(target)
        except FileProblem as problem:  # said, and the other files are still formatted
            problem.show()
            status = max(status, problem.exit_code)
            continue
        try:
            formatted = format_text(source, STDIN_NAME if stdin else target)
        except PolicyError as error:
            show_diagnostics(error.diagnostics, source)
            status = max(status, 1)
            continue
        formatted = keep_line_endings(source, formatted)  # a Windows checkout's CRLF is kept, not "reformatted"
        if stdin and not check:
            echo_data(formatted)
        elif formatted != source:
            changed = True
            if show_diff:
                echo_data(unified_diff(source, formatted, target))
            elif check:
                click.echo(f"would reformat {shown_path(target)}")
            else:
                bom = first_bytes(target, 3) == b"\xef\xbb\xbf"  # a Windows editor's byte-order mark is kept
                with output_stream(target) as stream:  # a temporary file renamed over the original
                    stream.write((b"\xef\xbb\xbf" if bom else b"") + formatted.encode("utf-8"))
                click.echo(f"reformatted {shown_path(target)}")
    sys.exit(max(status, 1 if check and changed else 0))


if __name__ == "__main__":  # pragma: no cover
    main()
