"""`leadpolicy check`."""

from __future__ import annotations

import sys
from typing import Optional

import click

from leadpolicy.cli.app import main
from leadpolicy.cli.common import (
    FileProblem,
    check_file,
    display_name,
    format_with_json,
    json_option,
    plural,
    policy_files,
    render_by_file,
    say,
)
from leadpolicy.syntax.diagnostics import Diagnostic, file_problem, render_json, shown_path


@main.command("check")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), help="Diagnostics as text or JSON. Default: text.")
@json_option("Diagnostics as JSON (--format json).")
@click.option("--strict", is_flag=True, help="Count warnings as errors.")
def check_command(paths: tuple[str, ...], fmt: Optional[str], as_json: bool, strict: bool) -> None:
    """Parse and check policies (and their .tests files); report every problem (`-`: standard input)."""
    fmt = format_with_json(fmt, as_json) or "text"
    files = policy_files(paths)
    if not files:  # every path a directory without policies
        if fmt == "json":  # a tool reading the JSON sees the problem too (the status stays 2)
            click.echo(render_json([file_problem(path, f"no .policy files found in {path}") for path in paths]))
        raise click.UsageError("no .policy files found in " + ", ".join(shown_path(path) for path in paths))
    all_diagnostics: list[Diagnostic] = []
    status = 0
    for path in files:
        try:
            diagnostics, sources = check_file(path)
        except FileProblem as problem:  # said, and the other files are still checked
            problem.show()
            status = max(status, problem.exit_code)
            all_diagnostics.append(problem.diagnostic(display_name(path)))  # in the JSON too (`file-problem`)
            continue
        all_diagnostics.extend(diagnostics)
        errors = sum(d.is_error for d in diagnostics)
        warnings = len(diagnostics) - errors
        if errors or (strict and warnings):
            status = max(status, 1)
        if fmt == "text":
            text = render_by_file(diagnostics, sources)
            if text:
                click.echo(text, err=True)
                click.echo("", err=True)
            summary = "ok" if not errors and not (strict and warnings) else plural(errors, "error")
            if warnings:
                summary += ", " + plural(warnings, "warning") + (" (--strict: warnings fail)" if strict else "")
            say(f"{shown_path(display_name(path))}: {summary}")
    if fmt == "json":
        click.echo(render_json(all_diagnostics))
    sys.exit(status)
