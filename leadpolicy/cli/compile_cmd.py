"""`leadpolicy compile`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from leadpolicy.cli.app import main
from leadpolicy.cli.common import load_policy


@main.command("compile")
@click.argument("policy_path", metavar="POLICY")
@click.option("-o", "--output", metavar="FILE", help="Write the module here (default: standard output).")
def compile_command(policy_path: str, output: Optional[str]) -> None:
    """Write the standalone Python module that evaluates the policy."""
    policy = load_policy(policy_path)
    if output:
        Path(output).write_text(policy.python_source, encoding="utf-8")
        click.echo(f"wrote {output} ({policy.name} {policy.version})", err=True)
    else:
        click.echo(policy.python_source, nl=False)


