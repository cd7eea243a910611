"""`leadpolicy lsp`: the language server, on standard input and output."""

from __future__ import annotations

import logging

import click

from leadpolicy.cli.app import main


@main.command("lsp")
@click.option("--stdio", is_flag=True, help="Talk over standard input and output (the default and only transport).")
@click.option(
    "--debounce",
    "debounce_ms",
    type=click.IntRange(0, 5000),
    default=50,
    show_default=True,
    metavar="MS",
    help="Milliseconds of quiet after an edit before diagnostics are recomputed.",
)
@click.option("--log-file", type=click.Path(dir_okay=False), help="Write the server's log here (default: standard error).")
@click.option("-v", "--verbose", is_flag=True, help="Log every request (debugging).")
def lsp_command(stdio: bool, debounce_ms: int, log_file: str | None, verbose: bool) -> None:
    """Run the language server for editors (VS Code, Neovim, Helix, Emacs, ...)."""
    try:
        from leadpolicy.tools.lsp.server import serve
    except ImportError as error:
        if (error.name or "").split(".")[0] not in ("pygls", "lsprotocol", "cattrs"):
            raise
        raise click.UsageError(f"the language server needs pygls and lsprotocol ({error}): pip install 'leadpolicy[lsp]'")
    handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    serve(debounce_ms / 1000)
