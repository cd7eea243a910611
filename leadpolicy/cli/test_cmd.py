"""`leadpolicy test`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import click

from leadpolicy.cli.app import main
from leadpolicy.cli.common import (
    FileProblem,
    as_of_moment,
    check_file,
    display_name,
    plural,
    policy_files,
    render_by_file,
    say,
    sibling_tests,
    style,
)
from leadpolicy.syntax.diagnostics import shown_path, terminal_text


def _load_for_tests(path: Path) -> Any:
    """(policy, tests, problems): problems are rendered diagnostics when the policy
    or its tests do not check."""
    import leadpolicy

    diagnostics, sources = check_file(path)
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        return None, [], render_by_file(errors, sources)
    name = display_name(path)  # `-`: standard input, named as its diagnostics name it
    policy = leadpolicy.loads(sources[name], name)
    tests = [(test, name) for test in policy.tree.tests]
    sibling, tests_path, _ = sibling_tests(path)
    tests += [(test, tests_path) for test in sibling]
    return policy, tests, None


@main.command("test")
@click.argument("paths", nargs=-1)
@click.option("--coverage", "show_coverage", is_flag=True, help="List the rules no test made fire.")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="PERCENT", help="Fail when rule coverage is lower.")
@click.option("--json", "as_json", is_flag=True, help="Results as JSON.")
@click.option("--as-of", metavar="WHEN",
              help="The time of every test that states no `as of` of its own, ISO 8601 (2026-11-22 or "
                   "2026-11-22T10:30:00Z); a test's own `as of` wins. Default: now (UTC).")
def test_command(paths: tuple[str, ...], show_coverage: bool, fail_under: Optional[float], as_json: bool,
                 as_of: Optional[str] = None) -> None:
    """Run the `test` blocks of policies (and of their sibling .tests files)."""
    from leadpolicy.tools.testing import coverage, describe_failure, run_test

    # one "now" for the whole run: a suite whose tests state no `as of` gives the same outcomes
    # in CI tomorrow as today when it is pinned (docs/decisions.md 69)
    now = as_of_moment(as_of)
    files = policy_files(paths or (".",))
    if not files:
        raise click.UsageError("no .policy files found in " + ", ".join(paths or (".",)))
    passed = failed = 0
    broken = False
    rules = covered = 0
    report = []
    status = 0
    for path in files:
        try:
            policy, tests, problems = _load_for_tests(path)
        except FileProblem as problem:  # said, and the other policies' tests still run
            problem.show()
            status = max(status, problem.exit_code)
            continue
        entry: dict[str, Any] = {"path": display_name(path), "tests": [], "coverage": None, "errors": problems}
        report.append(entry)
        if problems:
            broken = True
            if not as_json:
                click.echo(problems, err=True)
                say(f"{shown_path(display_name(path))}: the policy or its tests have errors; no test was run", err=True)
            continue
        if not as_json:
            say(shown_path(display_name(path)))
            if not tests:  # said, so that a gate in CI does not pass on a policy nothing tests
                beside = "" if str(path) == "-" else " or in " + shown_path(Path(display_name(path)).with_suffix(".tests").name)
                click.echo(f"  no tests: write `test \"...\" {{ ... }}` blocks in the policy{beside}")
        for test, test_path in tests:
            outcome = run_test(policy, test, test_path, now)
            entry["tests"].append(outcome.to_dict())
            if outcome.passed:
                passed += 1
            else:
                failed += 1
            if not as_json:
                where = f"{shown_path(test_path)}:{outcome.line}" if outcome.line else shown_path(test_path)
                mark = style("PASS", fg="green", err=False) if outcome.passed else style("FAIL", fg="red", bold=True, err=False)
                click.echo(f"  {mark}  {terminal_text(test.name)}" + ("" if outcome.passed else f"  ({terminal_text(where)})"))
                if not outcome.passed:
                    say("\n".join(describe_failure(outcome)))
        if show_coverage or fail_under is not None:
            result = coverage(policy.tree, [t for t, _ in tests], now)
            entry["coverage"] = result.to_dict()
            rules += len(result.rules)
            covered += len(result.rules) - len(result.missed)
            if not as_json and show_coverage:
                click.echo(f"  coverage: {len(result.rules) - len(result.missed)} of {plural(len(result.rules), 'rule')} ({result.percent:.1f}%)")
                for rule in result.missed:
                    named = repr(rule.name).replace("'", '"')  # the rule's name in double quotes, the file's name as it is
                    say(f"    never exercised: {shown_path(display_name(path))}:{rule.line}  {rule.kind} {named}")
    total = 100.0 if rules == 0 else 100.0 * covered / rules
    below = fail_under is not None and total < fail_under
    if as_json:
        click.echo(json.dumps({"passed": passed, "failed": failed, "coverage": round(total, 1) if rules else None, "files": report}, indent=2))
    else:
        summary = f"{plural(passed + failed, 'test')}: {passed:,} passed, {failed:,} failed"
        if (show_coverage or fail_under is not None) and (rules or not (broken or status)):  # none measured: no 100%
            summary += f"; rule coverage {total:.1f}%"
        click.echo(summary)
        if below:
            click.echo(f"rule coverage {total:.1f}% is below --fail-under {fail_under:g}%", err=True)
    sys.exit(max(status, 1 if failed or broken or below else 0))


