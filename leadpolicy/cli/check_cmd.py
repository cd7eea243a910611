"""`leadpolicy check`."""

from __future__ import annotations

import sys

import click

from leadpolicy.cli.app import main
from leadpolicy.cli.common import check_file, policy_files, render_by_file
from leadpolicy.syntax.diagnostics import Diagnostic, render_json


@main.command("check")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Diagnostics as text or JSON.")
@click.option("--strict", is_flag=True, help="Count warnings as errors.")
def check_command(paths: tuple[str, ...], fmt: str, strict: bool) -> None:
    """Parse and check policies (and their .tests files); report every problem."""
    files = policy_files(paths)
    if not files:
        raise click.UsageError("no .policy files found in " + ", ".join(paths))
    all_diagnostics: list[Diagnostic] = []
    failed = False
    for path in files:
        diagnostics, sources = check_file(path)
        all_diagnostics.extend(diagnostics)
        errors = sum(d.is_error for d in diagnostics)
        warnings = len(diagnostics) - errors
        if errors or (strict and warnings):
            failed = True
        if fmt == "text":
            text = render_by_file(diagnostics, sources)
            if text:
                click.echo(text, err=True)
                click.echo("", err=True)
            status = "ok" if not errors else f"{errors} error{'s' if errors != 1 else ''}"
            if warnings:
                status += f", {warnings} warning{'s' if warnings != 1 else ''}"
            click.echo(f"{path}: {status}")
    if fmt == "json":
        click.echo(render_json(all_diagnostics))
    sys.exit(1 if failed else 0)


