"""`leadpolicy docs`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from leadpolicy.cli.app import main
from leadpolicy.cli.common import FileProblem, load_policy, refuse_overwriting, say, to_stdout, write_output
from leadpolicy.syntax.diagnostics import shown_path


@main.command("docs")
@click.argument("policy_path", metavar="POLICY")
@click.option("-o", "--output", metavar="FILE",
              help="Write the document here: FILE.md or FILE.html (default, or `-`: Markdown on standard output).")
@click.option("--format", "fmt", type=click.Choice(["markdown", "html"]), help="Default: by the suffix of FILE, else markdown.")
def docs_command(policy_path: str, output: Optional[str], fmt: Optional[str]) -> None:
    """Write the handoff document: Markdown, or one self-contained HTML file (POLICY `-`: standard input)."""
    from leadpolicy.handoff.document import format_for, render

    refuse_overwriting(output, [(policy_path, "the policy")])
    if fmt is None:
        fmt = "markdown" if output is None or to_stdout(output) else format_for(output)
    if fmt is None:
        raise click.UsageError(f"cannot tell the format of {output}: name it FILE.md (Markdown) or FILE.html (HTML), or give --format")
    if output is not None and not to_stdout(output) and Path(output).suffix.lower() in (".policy", ".tests"):
        raise FileProblem(f"-o {output} would overwrite a policy file with a document: name it FILE.md or FILE.html")
    policy = load_policy(policy_path, "nothing was written")
    text = render(policy.tree, policy.source, policy.path, fmt)
    write_output(output, text)
    if not to_stdout(output):
        say(f"wrote {shown_path(output)} ({policy.name} {policy.version})", err=True)
