"""`leadpolicy compile`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from leadpolicy.cli.app import main
from leadpolicy.cli.common import FileProblem, load_policy, refuse_overwriting, say, to_stdout, write_output
from leadpolicy.cli.engine_options import resolve_target, sql_target_options, sql_text
from leadpolicy.syntax.diagnostics import shown_path


@main.command("compile")
@click.argument("policy_path", metavar="POLICY")
@click.option("-o", "--output", metavar="FILE", help="Write the module or query here (default, or `-`: standard output).")
@sql_target_options
def compile_command(policy_path: str, output: Optional[str], **sql_options: str) -> None:
    """Write the Python module, or the SQL query (--target sql), that decides leads.

    The standalone Python module evaluates the policy in a service; with --target
    sql, the one SQL query that decides every lead of a table, for a dialect
    (docs/sql.md). POLICY `-`: standard input."""
    target = resolve_target(sql_options, output)
    refuse_overwriting(output, [(policy_path, "the policy")])
    if output is not None and not to_stdout(output) and Path(output).suffix.lower() in (".policy", ".tests"):
        what, name = ("an SQL query", "the query FILE.sql") if target == "sql" else ("Python", "the module FILE.py")
        raise FileProblem(f"-o {output} would overwrite a policy file with {what}: name {name}")
    policy = load_policy(policy_path, "nothing was written")
    text = sql_text(policy, sql_options) if target == "sql" else policy.python_source
    write_output(output, text)
    if not to_stdout(output):
        say(f"wrote {shown_path(output)} ({policy.name} {policy.version})", err=True)
