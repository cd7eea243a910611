"""The progress bar of long runs (`score` on every engine, `diff --leads`, `report`): PRODUCT.md,
"Long runs show a progress bar on a terminal and stay quiet in a pipe".

One line on standard error, redrawn in place at most ten times a second:

    `  scoring [#####---------------]  25%  2,000 leads  8,500 leads/s`

The bar and the share are of a total the run knows (the input's bytes, lines or rows, as each
engine measures its way through it); without one (standard input, a table whose rows are not
counted) the leads and the rate alone. The command makes one with `progress_bar` (None unless
standard error is a terminal and the run is not --quiet) and clears it before it says anything
else: the summary, a warning, an error.

The engines take it as `Progress`: `bar(leads, done)` after each batch of rows written
(`done`: how far that batch went, in the total's units) and `bar.known(total)` when the total
is learnt after the start (the DuckDB engine counts the lines it has read, or a table's rows)."""

from __future__ import annotations

import sys
import time
from typing import Callable, Optional, Protocol

import click

__all__ = ["Progress", "ProgressBar", "progress_bar", "aside"]


class Progress(Protocol):
    """What an engine calls: the leads written and how far they went; the total when learnt."""

    def __call__(self, leads: int, done: int = 0) -> None: ...

    def known(self, total: Optional[int]) -> None: ...


class ProgressBar:
    """The bar on standard error; `verb` names the run (`scoring`, `replaying`)."""

    BAR = 20  # characters
    EVERY = 0.1  # seconds between redraws, at most

    def __init__(self, verb: str, total: Optional[int] = None) -> None:
        self._clock = time.perf_counter
        self._started = self._drawn = self._clock()
        self._verb = verb
        self._total = total or None
        self._width = 0  # of the widest line drawn since the last clear(), for clear()
        self.leads = self.done = 0

    def known(self, total: Optional[int]) -> None:
        """The total `done` counts towards, learnt after the start: drawn at once (as a redraw may be)."""
        self._total = total or None
        self._redraw()

    def __call__(self, leads: int, done: int = 0) -> None:
        self.leads += leads
        self.done += done
        self._redraw()

    def line(self, now: float) -> str:
        rate = self.leads / max(now - self._started, 1e-9)
        share = ""
        if self._total:
            part = min(1.0, max(0.0, self.done / self._total))
            filled = int(part * self.BAR)
            share = f" [{'#' * filled}{'-' * (self.BAR - filled)}] {100.0 * part:3.0f}%"
        return f"  {self._verb}{share}  {self.leads:,} leads  {rate:,.0f} leads/s "

    def _redraw(self) -> None:
        now = self._clock()
        if now - self._drawn >= self.EVERY:
            self._drawn = now
            line = self.line(now)
            self._width = max(self._width, len(line))
            click.echo("\r" + line, nl=False, err=True)

    def clear(self) -> None:
        """The line blanked and the cursor at its start, for what is said next (a later redraw draws it again)."""
        if self._width:
            click.echo("\r" + " " * self._width + "\r", nl=False, err=True)
            self._width = 0


def progress_bar(verb: str, total: Optional[int] = None, quiet: bool = False) -> Optional[ProgressBar]:
    """A bar when standard error is a terminal and the run is not --quiet, else None (a pipe, a file)."""
    if quiet:
        return None
    try:
        terminal = sys.stderr.isatty()
    except (AttributeError, ValueError):  # no isatty (a test's stream), or closed
        return None
    return ProgressBar(verb, total) if terminal else None


def aside(bar: Optional[ProgressBar], say: Callable[[str], None]) -> Callable[[str], None]:
    """`say` (a warning) said on a line of its own: the bar cleared first, drawn again at its next redraw."""
    if bar is None:
        return say

    def said(message: str) -> None:
        bar.clear()
        say(message)

    return said
