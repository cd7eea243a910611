"""`leadpolicy score`."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from typing import Optional

import click

from leadpolicy import LeadDataError
from leadpolicy.cli.app import main
from leadpolicy.cli.common import FileProblem, as_of_option, load_policy
from leadpolicy.syntax.nodes import DISQUALIFIED
from leadpolicy.tools.atomic import atomic_output, same_file


class _Progress:
    """A one-line counter on standard error, redrawn at most ten times a second."""

    def __init__(self, total_bytes: Optional[int]):
        import time

        self._clock = time.perf_counter
        self._started = self._drawn = self._clock()
        self._total = total_bytes or None
        self.leads = self.bytes = 0

    def __call__(self, leads: int, nbytes: int) -> None:
        self.leads += leads
        self.bytes += nbytes
        now = self._clock()
        if now - self._drawn >= 0.1:
            self._drawn = now
            rate = self.leads / max(now - self._started, 1e-9)
            share = f"  {min(100.0, 100.0 * self.bytes / self._total):3.0f}%" if self._total else ""
            click.echo(f"\r  scoring{share}  {self.leads:,} leads  {rate:,.0f} leads/s ", nl=False, err=True)

    def clear(self) -> None:
        click.echo("\r" + " " * 60 + "\r", nl=False, err=True)


class _LineCounter:
    """The output stream, counting the lines written through it. Ctrl-C only raises a
    flag; the next write stops the run, so no row is ever cut in half and the count of
    rows written is exact."""

    def __init__(self, inner):
        self.inner = inner
        self.lines = 0
        self.interrupted = False

    def interrupt(self, signum, frame) -> None:
        self.interrupted = True

    def write(self, data: bytes) -> int:
        if self.interrupted:
            raise KeyboardInterrupt
        written = self.inner.write(data)
        self.lines += data.count(b"\n")
        return written

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


@main.command("score")
@click.argument("policy_path", metavar="POLICY")
@click.argument("input_path", metavar="INPUT")
@click.option("-o", "--output", metavar="OUT", help="Write the rows here (default: standard output).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
              help="Rows as JSON Lines, or a flat CSV table (id, stage, previous_stage, change, engagement, fit, grade, reason, rule, error).")
@click.option("--input-format", type=click.Choice(["jsonl", "csv"]), help="Default: csv when INPUT ends in .csv, else jsonl.")
@as_of_option
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N", help="Processes to score with. Default: all cores; 1 scores in this process.")
@click.option("-q", "--quiet", is_flag=True, help="No progress counter and no summary on standard error.")
def score_command(policy_path: str, input_path: str, output: Optional[str], fmt: str, input_format: Optional[str],
                  as_of: Optional[str], jobs: Optional[int], quiet: bool) -> None:
    """Score many leads: one decision or one error row per lead, in input order.

    INPUT is a file or `-` for standard input. JSON Lines: one lead per line,
    {"id", "fields", "activities", "stage"}; blank lines are skipped. CSV (a
    header row): columns `id`, `stage` (the previous stage), `activities` (a
    JSON array of activities, as in JSON Lines) and one column per field,
    named as in the policy; empty cells are missing values.

    A decision row is {"id": ..., **decision}; a lead that cannot be read gives
    an error row {"id": ..., "line": N, "error": {"field", "value", "message"}}
    in its place, and the run goes on. Exit status 1 when any lead had an error.
    A summary (leads by stage and by change, errors, time) goes to standard error.
    """
    from leadpolicy.semantics.runtime import datetime_from_micros, read_as_of
    from leadpolicy.tools.score import default_jobs, score_stream

    policy = load_policy(policy_path)
    try:
        moment = datetime_from_micros(read_as_of(as_of))  # one "now" for the whole run
    except LeadDataError as error:
        raise click.BadParameter(f"`{as_of}` is not an ISO 8601 date or timestamp", param_hint="--as-of") from error
    if input_format is None:
        input_format = "csv" if input_path.lower().endswith(".csv") else "jsonl"
    if output and output != "-" and input_path != "-" and same_file(output, input_path):
        raise FileProblem(f"refusing to write the output over the input {input_path}: name another output file")
    if input_path == "-":
        source = sys.stdin.buffer
        size = None
    else:
        try:
            source = open(input_path, "rb")
            size = os.fstat(source.fileno()).st_size
        except FileNotFoundError:
            raise click.UsageError(f"no such file: {input_path}")
        except OSError as error:
            raise click.UsageError(f"cannot read {input_path}: {error}")
    to_file = bool(output) and output != "-"
    try:
        with contextlib.ExitStack() as stack:
            if to_file:
                # Written beside the target and renamed into place at the end: an
                # interrupted or failed run leaves the old file as it was.
                try:
                    sink = stack.enter_context(atomic_output(output, binary=True))
                except OSError as error:
                    raise FileProblem(f"cannot write {output}: {error.strerror or error}") from None
            else:
                sys.stdout.flush()
                sink = sys.stdout.buffer
            sink = counter = _LineCounter(sink)
            if threading.current_thread() is threading.main_thread():
                previous_handler = signal.signal(signal.SIGINT, counter.interrupt)
                stack.callback(signal.signal, signal.SIGINT, previous_handler)
            progress = _Progress(size) if not quiet and sys.stderr.isatty() else None
            try:
                summary = score_stream(policy, source, sink, as_of=moment, input_format=input_format, output_format=fmt,
                                       jobs=jobs or default_jobs(), progress=progress)
            except UnicodeDecodeError as error:  # CSV input; a JSON line that is not UTF-8 is an error row
                name = "standard input" if input_path == "-" else input_path
                click.echo(f"error: {name} is not UTF-8 text ({error.reason}); scoring stopped there", err=True)
                sys.exit(1)
            finally:
                if progress is not None:
                    progress.clear()
    except KeyboardInterrupt:
        if to_file:
            click.echo(f"interrupted: {output} was left as it was", err=True)
        else:
            try:
                sys.stdout.buffer.flush()  # what was written is delivered before we count it
            except OSError:
                pass
            rows = max(0, counter.lines - (1 if fmt == "csv" else 0))  # a CSV header is no row
            click.echo(f"interrupted: {rows} row{'s' if rows != 1 else ''} written to standard output; the rest were not", err=True)
        sys.exit(130)
    except OSError as error:  # a full disk, a closed pipe's cousins
        target = output if to_file else "standard output"
        raise FileProblem(f"cannot write {target}: {error.strerror or error}") from None
    finally:
        if input_path != "-":
            source.close()
    if not quiet:
        stages = [stage.name for stage in policy.tree.stages] + [DISQUALIFIED]
        for line in summary.lines(stages):
            click.echo(line, err=True)
    sys.exit(1 if summary.errors else 0)


