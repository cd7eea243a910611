"""`leadpolicy fmt`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterable

import click

from leadpolicy import PolicyError
from leadpolicy.cli.app import main
from leadpolicy.cli.common import FileProblem, read_source, show_diagnostics
from leadpolicy.tools.atomic import write_text_atomically


def source_files(paths: Iterable[str]) -> list[Path]:
    """Expand directories into the .policy and .tests files below them, sorted."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in (".policy", ".tests") and p.is_file()))
        else:
            found.append(path)
    return found


@main.command("fmt")
@click.argument("paths", nargs=-1, required=True)
@click.option("--check", is_flag=True, help="Write nothing; list the files that would change, exit 1 if any.")
def fmt_command(paths: tuple[str, ...], check: bool) -> None:
    """Rewrite policies and .tests files in the canonical layout (`-`: stdin to stdout)."""
    from leadpolicy.tools.fmt import format_text

    targets: list[str] = []
    for raw in paths:
        targets.extend(["-"] if raw == "-" else [str(p) for p in source_files([raw])])
    if not targets:
        raise click.UsageError("no .policy or .tests files found in " + ", ".join(paths))
    failed = changed = False
    for target in targets:
        stdin = target == "-"
        source = sys.stdin.read() if stdin else read_source(Path(target))
        try:
            formatted = format_text(source, "<stdin>" if stdin else target)
        except PolicyError as error:
            show_diagnostics(error.diagnostics, source)
            failed = True
            continue
        if stdin and not check:
            click.echo(formatted, nl=False)
        elif formatted != source:
            changed = True
            if check:
                click.echo(f"would reformat {target}")
            else:
                try:
                    write_text_atomically(target, formatted)
                except OSError as error:
                    raise FileProblem(f"cannot write {target}: {error.strerror or error}") from None
                click.echo(f"reformatted {target}")
    sys.exit(1 if failed or (check and changed) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
