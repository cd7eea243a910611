"""The `leadpolicy` command line: the group in `app`, one module per command.

Commands are thin: they parse options, call the library and print. `app.COMMANDS`
names each command's module; the group imports it when the command runs.
"""

from leadpolicy.cli.app import main

__all__ = ["main"]
