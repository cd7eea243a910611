"""The `leadpolicy` command line.

Exit status: 0 success; 1 the policy has errors, a test failed, or a lead had
a data error; 2 the command was used wrongly. Bad input never shows a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Iterable, Optional

import click

from . import LeadDataError, PolicyError, __version__
from .errors import Diagnostic, render, render_json


# ---------------------------------------------------------------- shared helpers


def policy_files(paths: Iterable[str]) -> list[Path]:
    """Expand directories into the .policy files below them, sorted; a `.tests`
    file stands for the policy beside it. Each policy once, in order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(path.rglob("*.policy")))
        elif path.suffix == ".tests":
            found.append(path.with_suffix(".policy"))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def read_source(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")  # a byte-order mark is not part of the policy
    except FileNotFoundError:
        raise click.UsageError(f"no such file: {path}")
    except (OSError, UnicodeDecodeError) as error:
        raise click.UsageError(f"cannot read {path}: {error}")


def show_diagnostics(diagnostics: list[Diagnostic], source: str) -> None:
    if diagnostics:
        click.echo(render(diagnostics, source), err=True)
        click.echo("", err=True)


def load_policy(path: str):
    """Load a policy for a command that needs a working one; exit 1 on errors."""
    import leadpolicy

    source = read_source(Path(path))
    try:
        return leadpolicy.loads(source, path)
    except PolicyError as error:
        show_diagnostics(error.diagnostics, source)
        count = len([d for d in error.diagnostics if d.is_error])
        click.echo(f"{path}: {count} error{'s' if count != 1 else ''}; nothing was run", err=True)
        sys.exit(1)


def sibling_tests(path: Path):
    """The `NAME.tests` file beside `NAME.policy`, parsed, or ((), None, "")."""
    from .parser import parse_tests

    tests_path = path.with_suffix(".tests")
    if not tests_path.exists():
        return (), None, ""
    text = read_source(tests_path)
    return parse_tests(text, str(tests_path)), str(tests_path), text


def check_file(path: Path):
    """Parse and check a policy and its sibling tests; returns (diagnostics, sources by path)."""
    from .checker import check
    from .parser import parse

    source = read_source(path)
    sources = {str(path): source}
    try:
        tree = parse(source, str(path))
    except PolicyError as error:
        return error.diagnostics, sources
    try:
        tests, tests_path, tests_text = sibling_tests(path)
    except PolicyError as error:
        sources[str(path.with_suffix(".tests"))] = error.source
        result = check(tree)
        return result.diagnostics + error.diagnostics, sources
    if tests_path:
        sources[tests_path] = tests_text
    result = check(tree, tests, tests_path)
    return result.diagnostics, sources


def render_by_file(diagnostics: list[Diagnostic], sources: dict[str, str]) -> str:
    parts = []
    for path, source in sources.items():
        mine = [d for d in diagnostics if d.path == path]
        if mine:
            parts.append(render(mine, source))
    return "\n\n".join(parts)


def as_of_option(f):
    return click.option(
        "--as-of",
        metavar="WHEN",
        help="Evaluation time, ISO 8601 (2026-11-22 or 2026-11-22T10:30:00Z). Default: now (UTC).",
    )(f)


# ---------------------------------------------------------------- the group


class _Group(click.Group):
    """Turns any unexpected exception into a short message, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except BrokenPipeError:
            sys.exit(0)
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


# ---------------------------------------------------------------- check


@main.command("check")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Diagnostics as text or JSON.")
@click.option("--strict", is_flag=True, help="Count warnings as errors.")
def check_command(paths: tuple[str, ...], fmt: str, strict: bool) -> None:
    """Parse and check policies (and their .tests files); report every problem."""
    files = policy_files(paths)
    if not files:
        raise click.UsageError("no .policy files found in " + ", ".join(paths))
    all_diagnostics: list[Diagnostic] = []
    failed = False
    for path in files:
        diagnostics, sources = check_file(path)
        all_diagnostics.extend(diagnostics)
        errors = sum(d.is_error for d in diagnostics)
        warnings = len(diagnostics) - errors
        if errors or (strict and warnings):
            failed = True
        if fmt == "text":
            text = render_by_file(diagnostics, sources)
            if text:
                click.echo(text, err=True)
                click.echo("", err=True)
            status = "ok" if not errors else f"{errors} error{'s' if errors != 1 else ''}"
            if warnings:
                status += f", {warnings} warning{'s' if warnings != 1 else ''}"
            click.echo(f"{path}: {status}")
    if fmt == "json":
        click.echo(render_json(all_diagnostics))
    sys.exit(1 if failed else 0)


# ---------------------------------------------------------------- eval


def _read_lead(source: str) -> dict:
    if source == "-":
        text = sys.stdin.read()
        name = "<stdin>"
    else:
        text = read_source(Path(source))
        name = source
    try:
        lead = json.loads(text)
    except json.JSONDecodeError as error:
        click.echo(f"error: {name}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}", err=True)
        sys.exit(1)
    if not isinstance(lead, dict):
        click.echo(f"error: {name}: a lead must be a JSON object with `fields` and `activities`", err=True)
        sys.exit(1)
    return lead


@main.command("eval")
@click.argument("policy_path", metavar="POLICY")
@click.argument("lead_path", metavar="[LEAD|-]", default="-")
@as_of_option
@click.option("--previous-stage", metavar="STAGE", help="The lead's stage before this evaluation (overrides its `stage`).")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
def eval_command(policy_path: str, lead_path: str, as_of: Optional[str], previous_stage: Optional[str], as_json: bool) -> None:
    """Decide one lead (JSON: {"id", "fields", "activities", "stage"}) and explain it."""
    from .explain import explain
    from .runtime import split_lead

    policy = load_policy(policy_path)
    lead = _read_lead(lead_path)
    try:
        lead_id, fields, activities, stage = split_lead(lead, 0)
        if previous_stage is not None:
            stage = previous_stage
        decision = policy.evaluate(fields, activities, as_of, stage, lead_id)
    except LeadDataError as error:
        if as_json:
            click.echo(json.dumps({"id": lead.get("id"), "error": error.to_dict()}))
        click.echo(f"error[data]: {error}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(decision.to_dict(), indent=2))
    else:
        click.echo(explain(decision.to_dict(), lead_id))


# ---------------------------------------------------------------- test


def _load_for_tests(path: Path):
    """(policy, tests, problems): problems are rendered diagnostics when the policy
    or its tests do not check."""
    import leadpolicy

    diagnostics, sources = check_file(path)
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        return None, [], render_by_file(errors, sources)
    policy = leadpolicy.loads(sources[str(path)], str(path))
    tests = [(test, str(path)) for test in policy.tree.tests]
    sibling, tests_path, _ = sibling_tests(path)
    tests += [(test, tests_path) for test in sibling]
    return policy, tests, None


@main.command("test")
@click.argument("paths", nargs=-1)
@click.option("--coverage", "show_coverage", is_flag=True, help="List the rules no test made fire.")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="PERCENT", help="Fail when rule coverage is lower.")
@click.option("--json", "as_json", is_flag=True, help="Results as JSON.")
def test_command(paths: tuple[str, ...], show_coverage: bool, fail_under: Optional[float], as_json: bool) -> None:
    """Run the `test` blocks of policies (and of their sibling .tests files)."""
    from .testing import coverage, describe_failure, run_test

    files = policy_files(paths or (".",))
    if not files:
        raise click.UsageError("no .policy files found in " + ", ".join(paths or (".",)))
    passed = failed = 0
    broken = False
    rules = covered = 0
    report = []
    for path in files:
        policy, tests, problems = _load_for_tests(path)
        entry: dict = {"path": str(path), "tests": [], "coverage": None, "errors": problems}
        report.append(entry)
        if problems:
            broken = True
            if not as_json:
                click.echo(problems, err=True)
                click.echo(f"{path}: the policy or its tests have errors; no test was run", err=True)
            continue
        if not as_json and tests:
            click.echo(str(path))
        for test, test_path in tests:
            outcome = run_test(policy, test, test_path)
            entry["tests"].append(outcome.to_dict())
            if outcome.passed:
                passed += 1
            else:
                failed += 1
            if not as_json:
                where = f"{test_path}:{outcome.line}" if outcome.line else test_path
                click.echo(f"  {'PASS' if outcome.passed else 'FAIL'}  {test.name}" + ("" if outcome.passed else f"  ({where})"))
                if not outcome.passed:
                    click.echo("\n".join(describe_failure(outcome)))
        if show_coverage or fail_under is not None:
            result = coverage(policy.tree, [t for t, _ in tests])
            entry["coverage"] = result.to_dict()
            rules += len(result.rules)
            covered += len(result.rules) - len(result.missed)
            if not as_json and show_coverage:
                click.echo(f"  coverage: {len(result.rules) - len(result.missed)} of {len(result.rules)} rules ({result.percent:.1f}%)")
                for rule in result.missed:
                    click.echo(f"    never exercised: {path}:{rule.line}  {rule.kind} {rule.name!r}".replace("'", '"'))
    total = 100.0 if rules == 0 else 100.0 * covered / rules
    below = fail_under is not None and total < fail_under
    if as_json:
        click.echo(json.dumps({"passed": passed, "failed": failed, "coverage": round(total, 1) if rules else None, "files": report}, indent=2))
    else:
        summary = f"{passed + failed} tests: {passed} passed, {failed} failed"
        if show_coverage or fail_under is not None:
            summary += f"; rule coverage {total:.1f}%"
        click.echo(summary)
        if below:
            click.echo(f"rule coverage {total:.1f}% is below --fail-under {fail_under:g}%", err=True)
    sys.exit(1 if failed or broken or below else 0)


# ---------------------------------------------------------------- score


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
    from . import _micros_to_datetime
    from .batch import default_jobs, score_stream
    from .runtime import read_as_of

    policy = load_policy(policy_path)
    try:
        moment = _micros_to_datetime(read_as_of(as_of))  # one "now" for the whole run
    except LeadDataError as error:
        raise click.BadParameter(f"`{as_of}` is not an ISO 8601 date or timestamp", param_hint="--as-of") from error
    if input_format is None:
        input_format = "csv" if input_path.lower().endswith(".csv") else "jsonl"
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
    try:
        to_file = bool(output) and output != "-"
        if to_file:
            try:
                sink = open(output, "wb")
            except OSError as error:
                raise click.UsageError(f"cannot write {output}: {error}")
        else:
            sys.stdout.flush()
            sink = sys.stdout.buffer
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
            if to_file:
                sink.close()
    finally:
        if input_path != "-":
            source.close()
    if not quiet:
        stages = [stage.name for stage in policy.tree.stages] + ["disqualified"]
        for line in summary.lines(stages):
            click.echo(line, err=True)
    sys.exit(1 if summary.errors else 0)


# ---------------------------------------------------------------- compile


@main.command("compile")
@click.argument("policy_path", metavar="POLICY")
@click.option("-o", "--output", metavar="FILE", help="Write the module here (default: standard output).")
def compile_command(policy_path: str, output: Optional[str]) -> None:
    """Write the standalone Python module that evaluates the policy."""
    policy = load_policy(policy_path)
    if output:
        Path(output).write_text(policy.python_source, encoding="utf-8")
        click.echo(f"wrote {output} ({policy.name} {policy.version})", err=True)
    else:
        click.echo(policy.python_source, nl=False)


# ---------------------------------------------------------------- docs


@main.command("docs")
@click.argument("policy_path", metavar="POLICY")
@click.option("-o", "--output", metavar="FILE", help="Write the document here: FILE.md or FILE.html (default: Markdown on standard output).")
def docs_command(policy_path: str, output: Optional[str]) -> None:
    """Write the handoff document: Markdown, or one self-contained HTML file."""
    from .docs import format_for, render

    fmt = format_for(output) if output else "markdown"
    if fmt is None:
        raise click.UsageError(f"cannot tell the format of {output}: name it FILE.md (Markdown) or FILE.html (HTML)")
    policy = load_policy(policy_path)
    text = render(policy.tree, policy.source, policy_path, fmt)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output} ({policy.name} {policy.version})", err=True)
    else:
        click.echo(text, nl=False)


# ---------------------------------------------------------------- fmt


def source_files(paths: Iterable[str]) -> list[Path]:
    """Expand directories into the .policy and .tests files below them, sorted."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in (".policy", ".tests") and p.is_file()))
        else:
            found.append(path)
    return found


@main.command("fmt")
@click.argument("paths", nargs=-1, required=True)
@click.option("--check", is_flag=True, help="Write nothing; list the files that would change, exit 1 if any.")
def fmt_command(paths: tuple[str, ...], check: bool) -> None:
    """Rewrite policies and .tests files in the canonical layout (`-`: stdin to stdout)."""
    from .formatter import format_text

    targets: list[str] = []
    for raw in paths:
        targets.extend(["-"] if raw == "-" else [str(p) for p in source_files([raw])])
    if not targets:
        raise click.UsageError("no .policy or .tests files found in " + ", ".join(paths))
    failed = changed = False
    for target in targets:
        stdin = target == "-"
        source = sys.stdin.read() if stdin else read_source(Path(target))
        try:
            formatted = format_text(source, "<stdin>" if stdin else target)
        except PolicyError as error:
            show_diagnostics(error.diagnostics, source)
            failed = True
            continue
        if stdin and not check:
            click.echo(formatted, nl=False)
        elif formatted != source:
            changed = True
            if check:
                click.echo(f"would reformat {target}")
            else:
                Path(target).write_text(formatted, encoding="utf-8")
                click.echo(f"reformatted {target}")
    sys.exit(1 if failed or (check and changed) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
