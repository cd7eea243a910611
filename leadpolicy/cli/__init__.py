"""The `leadpolicy` command line: the group in `app`, one module per command.

Commands are thin: they parse options, call the library and print.
"""

from leadpolicy.cli import (  # noqa: F401  (registers the commands)
    check_cmd,
    compile_cmd,
    diff_cmd,
    docs_cmd,
    eval_cmd,
    fmt_cmd,
    lsp_cmd,
    report_cmd,
    score_cmd,
    test_cmd,
)
from leadpolicy.cli.app import main

__all__ = ["main"]
