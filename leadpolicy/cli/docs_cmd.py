"""`leadpolicy docs`."""

from __future__ import annotations

from typing import Optional

import click

from leadpolicy.cli.app import main
from leadpolicy.cli.common import load_policy, write_output


@main.command("docs")
@click.argument("policy_path", metavar="POLICY")
@click.option("-o", "--output", metavar="FILE", help="Write the document here: FILE.md or FILE.html (default, or `-`: Markdown on standard output).")
def docs_command(policy_path: str, output: Optional[str]) -> None:
    """Write the handoff document: Markdown, or one self-contained HTML file."""
    from leadpolicy.handoff.document import format_for, render

    fmt = format_for(output) if output and output != "-" else "markdown"
    if fmt is None:
        raise click.UsageError(f"cannot tell the format of {output}: name it FILE.md (Markdown) or FILE.html (HTML)")
    policy = load_policy(policy_path)
    text = render(policy.tree, policy.source, policy_path, fmt)
    write_output(output or "-", text, f"{policy.name} {policy.version}")


