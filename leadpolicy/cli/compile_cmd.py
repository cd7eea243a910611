"""`leadpolicy compile`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from leadpolicy.cli.app import main
from leadpolicy.cli.common import FileProblem, load_policy, refuse_overwriting, to_stdout, write_output


@main.command("compile")
@click.argument("policy_path", metavar="POLICY")
@click.option("-o", "--output", metavar="FILE", help="Write the module here (default, or `-`: standard output).")
def compile_command(policy_path: str, output: Optional[str]) -> None:
    """Write the standalone Python module that evaluates the policy (POLICY `-`: standard input)."""
    refuse_overwriting(output, [(policy_path, "the policy")])
    if not to_stdout(output) and Path(output).suffix.lower() in (".policy", ".tests"):
        raise FileProblem(f"-o {output} would overwrite a policy file with Python: name the module FILE.py")
    policy = load_policy(policy_path)
    write_output(output, policy.python_source)
    if not to_stdout(output):
        click.echo(f"wrote {output} ({policy.name} {policy.version})", err=True)
