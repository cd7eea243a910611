"""The `leadpolicy` command group; each command lives in its own module beside this one.

Exit status: 0 success; 1 the policy has errors, a test failed, a lead had a
data error, or a file's contents are not what the command reads; 2 the command
was used wrongly, or a file it names cannot be read or written; 3 an internal
error (a bug); 130 interrupted (Ctrl-C); 143 terminated (SIGTERM, stopped as Ctrl-C
stops: tools/stopping.py). Bad input never shows a traceback.
Shell completion comes from click: `eval "$(_LEADPOLICY_COMPLETE=bash_source leadpolicy)"`.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from leadpolicy import __version__

# Every command: its module beside this one and the line `leadpolicy --help` lists it with.
# The modules are imported only when their command runs (or completion asks for it), so
# `--help` and `--version` start without the parser, the checker and the back ends.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check_cmd", "Parse and check policies and their .tests files."),
    "compile": ("compile_cmd", "Write the Python module or SQL query that decides leads."),
    "diff": ("diff_cmd", "What a change to a policy means, and what it does to real leads."),
    "docs": ("docs_cmd", "Write the handoff document (Markdown or self-contained HTML)."),
    "eval": ("eval_cmd", "Decide one lead and explain the decision."),
    "fmt": ("fmt_cmd", "Rewrite policies and .tests files in the canonical layout."),
    "lsp": ("lsp_cmd", "Run the language server editors talk to (stdio)."),
    "report": ("report_cmd", "Replay leads under a policy: funnel, velocity, outcomes."),
    "score": ("score_cmd", "Score many leads: a decision or an error row per lead."),
    "test": ("test_cmd", "Run the `test` blocks of policies and their .tests files."),
}


class _Group(click.Group):
    """Loads each command's module when it is needed, and turns any unexpected
    exception into a short message, never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            importlib.import_module(f"leadpolicy.cli.{COMMANDS[name][0]}")  # registers it on `main`
        return self.commands.get(name)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        """An unknown command gets the close one (`scor` -> `score`), and `help` the way to help."""
        name = args[0] if args else ""
        if args and not ctx.resilient_parsing and self.get_command(ctx, name) is None and not name.startswith("-"):
            import difflib

            if name == "help":
                ctx.fail("No such command 'help': `leadpolicy --help` lists the commands, "
                         "`leadpolicy COMMAND --help` explains one.")
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1, cutoff=0.6)
            if close:
                ctx.fail(f"No such command '{name}'. Did you mean `leadpolicy {close[0]}`?")
        return super().resolve_command(ctx, args)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        if name in COMMANDS:
            cmd.short_help = COMMANDS[name][1]  # the same line whether or not the module is loaded
        super().add_command(cmd, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in COMMANDS and name not in self.commands:
                rows.append((name, COMMANDS[name][1]))
            else:
                command = self.commands[name]
                if not command.hidden:
                    rows.append((name, command.get_short_help_str(formatter.width)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: Any) -> Any:
        from leadpolicy.tools.stopping import interrupted_query, terminated_raises

        try:
            with terminated_raises():  # SIGTERM stops a run as Ctrl-C does, outputs left as they were
                return super().invoke(ctx)
        except click.UsageError as error:
            if isinstance(error, click.BadParameter) and not isinstance(error, click.MissingParameter):
                # a wrong value (`--memory-limit lots`, `--engine duck`): its message names the option and
                # the fix; the usage text click puts around it is three lines of noise above that one
                from leadpolicy.cli.common import FileProblem

                raise FileProblem(error.format_message()) from None  # (shown on its one line)
            from leadpolicy.syntax.diagnostics import line_text

            _not_here(error)
            # a missing argument keeps the usage line, which shows its place; the message is one
            # line, whatever file name or value it quotes (`x\x1b[2J.parquet`, a newline)
            vars(error)["message"] = line_text(error.message)  # click declares it Final; the text is ours to show
            raise
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except BrokenPipeError:
            sys.exit(0)
        except OSError as error:
            _full(error)
            raise
        except KeyboardInterrupt as stop:  # Ctrl-C, SIGTERM: a command with output to protect says more itself
            _stopped(stop)
        except Exception as error:  # an internal error: say so plainly
            query_stopped = interrupted_query(error)  # DuckDB's word for Ctrl-C or SIGTERM during its query
            if query_stopped is not None:
                _stopped(query_stopped)
            if os.environ.get("LEADPOLICY_DEBUG"):
                raise
            _missing_extra(error)
            from leadpolicy.syntax.diagnostics import terminal_text

            click.echo(f"leadpolicy: internal error: {type(error).__name__}: {terminal_text(error)}", err=True)
            click.echo("  = help: set LEADPOLICY_DEBUG=1 to see the traceback, and please report it", err=True)
            sys.exit(3)


# A common option (PRODUCT: `--as-of`, `--previous-stage`, `--json` "where they apply") given to a
# command where it does not apply: why, and where that command takes it from (docs/decisions.md 72).
NOT_HERE: dict[tuple[str, str], str] = {
    ("score", "--previous-stage"): "score reads each lead's previous stage from the lead: its `stage` (a JSON Lines "
                                   "key, or a CSV or table column); a lead without one is placed for the first time",
    ("diff", "--previous-stage"): "diff --leads gives both versions each lead's own previous stage, its `stage`; "
                                  "a lead without one is placed for the first time by both",
    ("report", "--previous-stage"): "report replays each lead from no stage, through its activities, as "
                                    "`eval --journey` does",
    ("test", "--previous-stage"): "a test states its own (`previous stage mql`); one that states none is a lead "
                                  "placed for the first time",
}


def _stopped(stop: KeyboardInterrupt) -> None:
    """Ctrl-C (`interrupted`, status 130) or SIGTERM (`terminated`, 143), said on one line."""
    from leadpolicy.tools.stopping import stopped_by

    word, status = stopped_by(stop)
    click.echo("\ninterrupted" if status == 130 else word, err=True)  # (past the terminal's `^C`)
    sys.exit(status)


def _not_here(error: click.UsageError) -> None:
    """An unknown option that NOT_HERE lists for the command (the context the error came from) says why."""
    if isinstance(error, click.NoSuchOption) and error.ctx is not None and error.ctx.command.name:
        why = NOT_HERE.get((error.ctx.command.name, error.option_name))
        if why:
            # click declares both Final; the message is ours to say
            vars(error)["message"] = f"{error.option_name} does not apply to `leadpolicy {error.ctx.command.name}`: {why}"
            vars(error)["possibilities"] = None


def _missing_extra(error: Exception) -> None:
    """An optional package a command needs and the machine lacks (sqlglot for `compile --target
    sql`, duckdb, pyspark): one line naming the extra to install, exit 2, wherever the command
    first imported it. Not a bug to report, and not a usage error: the command line was right."""
    from leadpolicy.backends.sql.extras import MissingExtra

    if isinstance(error, MissingExtra):
        from leadpolicy.cli.common import EXIT_USAGE, error_label
        from leadpolicy.syntax.diagnostics import terminal_text

        click.echo(f"{error_label()}: {terminal_text(error)}", err=True)
        sys.exit(EXIT_USAGE)


def _full(error: OSError) -> None:
    """A full disk (or quota, or file size limit) met by a write that reached here: one to standard
    output (`leadpolicy score P L > decisions.jsonl` on a full disk, `> /dev/full`), since every file a
    command writes itself says its own name (tools/atomic.py). One line and status 2, as for a file."""
    from leadpolicy.tools.atomic import FULL, why

    if error.errno in FULL and error.filename is None:
        from leadpolicy.cli.common import EXIT_USAGE, error_label

        click.echo(f"{error_label()}: cannot write standard output: {why(error)}", err=True)
        sys.exit(EXIT_USAGE)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="leadpolicy")
def main() -> None:
    """Write down, test and run the marketing-to-sales handoff."""


