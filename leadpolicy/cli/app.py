"""The `leadpolicy` command group; each command lives in its own module beside this one.

Exit status: 0 success; 1 the policy has errors, a test failed, a lead had a
data error, or a file's contents are not what the command reads; 2 the command
was used wrongly, or a file it names cannot be read or written; 3 an internal
error (a bug); 130 interrupted (Ctrl-C). Bad input never shows a traceback.
Shell completion comes from click: `eval "$(_LEADPOLICY_COMPLETE=bash_source leadpolicy)"`.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from leadpolicy import __version__


class _Group(click.Group):
    """Turns any unexpected exception into a short message, never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except BrokenPipeError:
            sys.exit(0)
        except KeyboardInterrupt:  # Ctrl-C: a command with output to protect says more itself
            click.echo("\ninterrupted", err=True)
            sys.exit(130)
        except Exception as error:  # an internal error: say so plainly
            if os.environ.get("LEADPOLICY_DEBUG"):
                raise
            click.echo(f"leadpolicy: internal error: {type(error).__name__}: {error}", err=True)
            click.echo("  = help: set LEADPOLICY_DEBUG=1 to see the traceback, and please report it", err=True)
            sys.exit(3)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="leadpolicy")
def main() -> None:
    """Write down, test and run the marketing-to-sales handoff."""


