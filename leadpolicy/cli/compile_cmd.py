"""`leadpolicy compile`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from leadpolicy.cli.app import main
from leadpolicy.cli.common import FileProblem, load_policy, write_output
from leadpolicy.tools.atomic import same_file


@main.command("compile")
@click.argument("policy_path", metavar="POLICY")
@click.option("-o", "--output", metavar="FILE", help="Write the module here (default, or `-`: standard output).")
def compile_command(policy_path: str, output: Optional[str]) -> None:
    """Write the standalone Python module that evaluates the policy."""
    if output and output != "-" and Path(output).suffix in (".policy", ".tests"):
        raise FileProblem(f"refusing to write the module over {output}: that is a policy file (name the module NAME.py)")
    if output and output != "-" and same_file(output, policy_path):
        raise FileProblem(f"refusing to write the module over its own policy {output}")
    policy = load_policy(policy_path)
    write_output(output or "-", policy.python_source, f"{policy.name} {policy.version}")


