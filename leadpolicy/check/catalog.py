"""The one catalog of diagnostic codes: every code the parser and the checker
report, with its severity, a title, what it means, the fix, and the golden case
(tests/golden/diagnostics/EXAMPLE.policy) that shows it. docs/diagnostics.md is
generated from this table (`python3 -m leadpolicy.check.catalog > docs/diagnostics.md`,
run from the repository root); tests/test_diagnostics.py fails when the doc is
stale or a code in the source is missing here. A new code: add its entry here
and its golden case, then regenerate the doc."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from leadpolicy.syntax.diagnostics import LONE_SURROGATE

__all__ = ["Entry", "CATALOG", "BY_CODE", "render_reference"]


@dataclass(frozen=True)
class Entry:
    code: str
    severity: str  # "error" or "warning"
    title: str  # one line: what went wrong
    explanation: str  # when it is reported (Markdown)
    fix: str  # what to do (Markdown)
    example: str  # the stem of the golden case under tests/golden/diagnostics/
    # a problem with the file itself, said by `leadpolicy check` before any parsing (no position): its golden
    # case is such a file, read as `check` reads it, and shown, not checked as a policy, in the doc
    file_level: bool = False


CATALOG: tuple[Entry, ...] = (
    Entry(
        'file-problem',
        'error',
        'A file named to `leadpolicy check` cannot be checked: missing, unreadable, empty, not UTF-8, not a policy, a directory without policies',
        'A path named to `leadpolicy check` cannot be read as a policy: it does not exist, cannot be read, is '
        'empty (or only comments), is not UTF-8 text, or is plainly some other file (it starts with `{`, a '
        "digit, `<`: a lead in JSON, CSV, HTML); a policy's `.tests` file is not UTF-8 text; or every path "
        'named is a directory with no `.policy` file in it. The message is the line `check` says on '
        'standard error (docs/cli-guide.md lists them); `--format json` lists it with the diagnostics, with '
        '`line` and `column` null (it has no position), and the other files are still checked. The exit '
        'status is the file problem\'s: 2 for a path that cannot be opened or a directory without policies, '
        '1 for contents that are not a policy.',
        'Name the policy file (`check policies/`, `check policies/acme.policy`); save it as UTF-8 text.',
        'file-problem',
        file_level=True,
    ),
    Entry(
        'syntax-error',
        'error',
        'The text is not a policy: a word, symbol or quote is missing or out of place',
        'The text is not a policy: a word, symbol or quote is missing or out of place. The mistakes newcomers '
        'make are named, with the line as it should read: `==` (write `=`), `=>`, `=<`, `<>`, `≥`, `≤` and `≠` '
        '(`>=`, `<=`, `!=`), a word of the language in capitals (`AND`, `IS MISSING`: the words are lower case), '
        "SQL's `is null` and `is not null`, and `is empty`, `is blank` (`is missing`, `is present`: empty text is missing), `is` and `is not` before a value (`size is 3`: `size = 3`; `!=`), `equals`, `equal to` and `eq` (`size equals 3`: `size = 3`), the parts after an activity out of "
        "order (`max 10 within 7 days`: `where`, `at least N times`, `within`, `max`; `2 times`: `at least 2 times`), `each` or `for` for `per` and `if` for `when`, a number with an exponent (`1e3`: write `1000`), thousands commas, a currency sign, `k` or `M`, a "
        "leading or trailing decimal point (`1,000`, `$1000`, `10k`, `.5`), points followed by `points`, a `,` or `;` between the items of a block, a first line that is missing, has no version or does not quote "
        "the name and version (`policy Acme version 1`), "
        '`&&` and `||` (`and`, `or`), `!` '
        "(`not`), single quotes (strings take double quotes), curly quotes pasted from a document (`“VP”`: "
        "write `\"VP\"`), a list in square brackets (`in [a, b]`: `in (a, b)`), `endswith`, `startswith` and `not_in` "
        "(`ends with`, `starts with`, `not in`), words of the language joined by `_` (`as_of`, `at_least`, `is_missing`: `as of`, `at least`, `is missing`; `max_10`: `max 10`; `is_not_null`: `is present`), "
        "a word of the language glued to the word or number after it, which is one name (`+5 percall`, `whenok`, `every3 days`, `expect gradeA`: "
        "`per call`, `when ok`, `every 3 days`, `expect grade A`; docs/language-reference.md 2.3), "
        "`ends` or `starts` without `with`, `is not missing` and `is not "
        "present` (`is present`, `is missing`), a test's stage, grade or change compared (`expect stage = sql`: "
        "`expect stage sql`), an expectation named as other tools name it (`expect score >= 30`: `expect engagement "
        ">= 30` or `expect fit >= 30`; `expect status`: `expect stage`; `expect not hit`: `expect no hit`), a score expected in a range (`expect fit between 10 and 30`: `expect fit >= 10  expect fit <= 30`), a test's stage or grade in quotes or "
        "compared with `is` (`expect stage \"sql\"`, `expect grade is A`), a rule's name without them (`expect hit Demo`: "
        "`expect hit \"Demo\"`), a comma before `)`, a misspelt block name "
        '(`disqualfy`), a signed cap (`max -50`), a decay without `%` or with `per` (`decay 50 per 30 days`: `decay 50% every 30 days`) or without its percentage (`decay every 30 days`: `50%` written for the writer to change), an escape other than `\\\"` and `\\\\` in a string, a '
        'missing `}` or `)` (reported at the `{` or `(` it leaves open, naming the block), and a rule\'s name out '
        'of place: without its colon (`"Demo" +10 per demo`), after the rule (`mql -> lead "Went quiet" when '
        '...`: moved to the front), or missing (`when is_customer`: a name to write is shown, the activity\'s or '
        'the stages\' where the rule has one), and a demotion\'s arrow written `to`, `=>` or `→` (write `->`). '
        'Such a hint is given '
        'only when its '
        'fix gets the parser past that point. Up to three such slips on one line are named in one hint whose '
        'line is the whole fix (`email endswith “@x.com”`: `email ends with "@x.com"`), rather than a fix that '
        'leaves the line wrong.',
        'Make the change the `help:` line shows; otherwise read the `expected` list: it names what could come '
        'at that point.',
        'syntax-error-char',
    ),
    Entry(
        'bad-character',
        'error',
        'The text holds a lone surrogate, which is no character at all, or an invisible text-direction character',
        'The text holds a lone UTF-16 surrogate (text that came through a JSON decoder or a broken copy and paste, '
        'given to `leadpolicy.loads`), or an invisible character that changes the direction text is displayed in '
        '(U+202A to U+202E, U+2066 to U+2069: embeddings, overrides, isolates and their ends), anywhere, a comment '
        'included. Such a character makes a line display in another order than leadpolicy reads it: a rule '
        'name could make the points after it read `+50` on screen where the file says `-50`, so a reviewer '
        'could not trust the diff (the "Trojan Source" attack; rustc refuses these characters too). It is '
        'reported before anything else, at its line and column, with the character shown as `\ufffd`, and '
        'the line as it reads without it.',
        'Delete it, or retype the text around it.',
        'bad-character',
    ),
    Entry(
        'bad-date',
        'error',
        'A date or timestamp literal is not a real moment (month 13, February 30)',
        'A date or timestamp literal is not a real moment (month 13, February 30).',
        'Write dates as `YYYY-MM-DD` and timestamps as `YYYY-MM-DDTHH:MM:SSZ`.',
        'bad-date',
    ),
    Entry(
        'bad-count',
        'error',
        'A count (`at least N times`, `N times` in a test)',
        'A count (`at least N times`, `N times` in a test) is not a whole number of at least 1.',
        'Use 1, 2, 3, ...',
        'bad-count',
    ),
    Entry(
        'bad-duration',
        'error',
        'A duration is zero',
        'A duration is zero.',
        'Durations are positive: `30 days`, `1.5 hours`.',
        'bad-duration',
    ),
    Entry(
        'duplicate-block',
        'error',
        'A block such as `fields` or `stages` appears twice',
        'A block such as `fields` or `stages` appears twice.',
        'Merge the two; every block appears at most once (`test` blocks excepted).',
        'duplicate-block',
    ),
    Entry(
        'missing-stages',
        'error',
        'The policy has no `stages` block, or it is empty',
        'The policy has no `stages` block, or it is empty.',
        'Every policy declares its stages, the first one without a condition.',
        'missing-stages',
    ),
    Entry(
        'reserved-name',
        'error',
        'A field, activity, property, stage or group is named with a word of the language',
        'A field, activity, property, stage or group is named with a word of the language.',
        'Rename it; the help suggests a name.',
        'reserved-name',
    ),
    Entry(
        'duplicate-name',
        'error',
        'Two fields, activities or stages share a name, or differ only in case (data matches them without case)',
        'Two fields, activities or stages share a name, or differ only in case (data matches them without case).',
        'Rename one of them.',
        'duplicate-name',
    ),
    Entry(
        'reserved-property',
        'error',
        'A property is called `at` or `type`, which every activity already has',
        'A property is called `at` or `type`, which every activity already has.',
        'Rename the property.',
        'reserved-property',
    ),
    Entry(
        'duplicate-member',
        'error',
        'An enum lists the same member twice (members compare without case)',
        'An enum lists the same member twice (members compare without case).',
        'Remove the repeat.',
        'duplicate-member',
    ),
    Entry(
        'padded-member',
        'error',
        'An enum member has spaces before or after it (`" Gold"`)',
        'An enum member has spaces before or after it (`" Gold"`). Lead data is trimmed, so no lead can ever carry it. Inner spaces (`"Closed Won"`) are fine.',
        'Write the member trimmed; the help shows the type as it should read.',
        'padded-member',
    ),
    Entry(
        'blank-member',
        'error',
        'An enum member is empty or only spaces (`""`, `"  "`)',
        'An enum member is empty or only spaces (`""`, `"  "`). Lead data is trimmed, and an empty value is missing, so no lead can ever carry it.',
        'Remove the member.',
        'blank-member',
    ),
    Entry(
        'member-spacing',
        'warning',
        'An enum member has a tab, two spaces in a row or another unusual space inside (`"Vice  President"`)',
        'An enum member has a tab, two spaces in a row or another unusual space inside (`"Vice  President"`). '
        'Lead data is trimmed at the ends only, so a value must match the inside exactly; such spacing is invisible '
        'in the policy and almost always a slip. One space inside (`"Closed Won"`) is fine and not reported.',
        'Write the member with single spaces, unless the CRM value really has that spacing.',
        'member-spacing',
    ),
    Entry(
        'reserved-stage',
        'error',
        'A stage is called `disqualified`, the name of the disqualified state',
        'A stage is called `disqualified`, the name of the disqualified state.',
        'Rename the stage; leads are disqualified by the `disqualify` block.',
        'reserved-stage',
    ),
    Entry(
        'first-stage-condition',
        'error',
        'The first stage has a `when`: every lead is at least in the first stage',
        'The first stage has a `when`: every lead is at least in the first stage.',
        'Move the condition to a later stage.',
        'first-stage-condition',
    ),
    Entry(
        'stage-needs-condition',
        'error',
        'A stage after the first has no `when` entry condition',
        'A stage after the first has no `when` entry condition.',
        'Add one: `mql when engagement >= 60`.',
        'stage-needs-condition',
    ),
    Entry(
        'duplicate-rule',
        'error',
        'Two rules share a name; rule names are unique across the policy',
        'Two rules share a name; rule names are unique across the policy.',
        'Rename one: tests, hits and documents refer to rules by name.',
        'duplicate-rule',
    ),
    Entry(
        'bad-decay',
        'error',
        '`decay` is not more than 0% and at most 100%, or appears twice',
        '`decay` is not more than 0% and at most 100%, or appears twice.',
        'Keep one `decay X% every DURATION` with 0 < X <= 100.',
        'bad-decay',
    ),
    Entry(
        'bad-max',
        'error',
        "An engagement rule's `max` is 0 or less",
        "An engagement rule's `max` is 0 or less.",
        'Raise it, or drop `max`.',
        'bad-max',
    ),
    Entry(
        'unknown-activity',
        'error',
        'A rule names an activity the `activities` block does not declare',
        'A rule names an activity the `activities` block does not declare.',
        'Fix the spelling (the help suggests one) or declare it.',
        'unknown-activity',
    ),
    Entry(
        'duplicate-group',
        'error',
        'Two fit groups share a name',
        'Two fit groups share a name.',
        'Merge them.',
        'duplicate-group',
    ),
    Entry(
        'duplicate-grade',
        'error',
        'A grade letter appears twice',
        'A grade letter appears twice.',
        'Each grade appears once.',
        'duplicate-grade',
    ),
    Entry(
        'otherwise-not-last',
        'error',
        '`otherwise` is not on the last grade line, so the lines after it can never match',
        '`otherwise` is not on the last grade line, so the lines after it can never match.',
        'Move it last.',
        'otherwise-not-last',
    ),
    Entry(
        'unknown-stage',
        'error',
        'A demotion, test or previous stage names a stage that does not exist',
        'A demotion, test or previous stage names a stage that does not exist.',
        'Fix the spelling (the help suggests one).',
        'unknown-stage',
    ),
    Entry(
        'demotion-direction',
        'error',
        'A demotion goes to the same or a higher stage',
        'A demotion goes to the same or a higher stage.',
        'Demotions go down: `sql -> mql`.',
        'demotion-direction',
    ),
    Entry(
        'unknown-property',
        'error',
        'Inside `where`, a name is not a property of that activity',
        'Inside `where`, a name is not a property of that activity.',
        'Fix the spelling, or end the `where` with parentheses to test a field: `(did X where ...) and budget > 1`.',
        'unknown-property',
    ),
    Entry(
        'unknown-field',
        'error',
        'A name is not a declared field (or, where stages may be named, a stage)',
        'A name is not a declared field (or, where stages may be named, a stage). Values other languages '
        'write as names are said as such: `null` and `None` (`email = null`: write `email is missing`; `!=`: '
        '`is present`), `yes`, `no`, `on`, `off` compared with a boolean (write `true` or `false`), and `today` or '
        '`now` compared with a date (write `days since FIELD`). A name that is `not`, `did` or `no` glued to a '
        'field, stage or activity (`when diddemo_request`: a word of the language and the name after it are one '
        'name without the space) is told so, with the space put back (`did demo_request`); so is `not` glued to '
        'a property inside `where` (`unknown-property`).',
        'Fix the spelling (the help suggests one) or declare the field.',
        'unknown-field',
    ),
    Entry(
        'not-allowed',
        'error',
        "Something is used where docs/language-reference.md section 13.13's table does not allow it, such as `engagement` in a fit rule or a stage name in a grade",
        "Something is used where docs/language-reference.md section 13.13's table does not allow it, such as `engagement` in a fit rule or a stage name in a grade.",
        'Fit rules use fields only; grades cannot use `grade` or stage names; stage conditions name lower stages only.',
        'not-allowed',
    ),
    Entry(
        'stage-order',
        'error',
        "A stage's entry condition names itself or a higher stage",
        "A stage's entry condition names itself or a higher stage.",
        'Name only lower stages.',
        'stage-order',
    ),
    Entry(
        'member-case',
        'error',
        'An enum member is written in another case than declared',
        'An enum member is written in another case than declared.',
        'Write it exactly as declared.',
        'member-case',
    ),
    Entry(
        'unknown-member',
        'error',
        'A value is not a member of the enum it is compared with',
        'A value is not a member of the enum it is compared with.',
        'Use a declared member (the help suggests one).',
        'unknown-member',
    ),
    Entry(
        'unknown-grade',
        'error',
        'A grade letter is not declared in `grades`',
        'A grade letter is not declared in `grades`.',
        'Use a declared letter.',
        'unknown-grade',
    ),
    Entry(
        'type-mismatch',
        'error',
        'Two sides of different types are compared, or an operation gets the wrong type (text test on a number, arithmetic on text)',
        'Two sides of different types are compared, or an operation gets the wrong type (text test on a number, arithmetic on text).',
        'Numbers without quotes, text in quotes, dates as `YYYY-MM-DD`, enum members as declared.',
        'type-mismatch',
    ),
    Entry(
        'bad-operator',
        'error',
        'An order comparison (`<`, `>=`, ...)',
        'An order comparison (`<`, `>=`, ...) on text or booleans.',
        'Order comparisons work on numbers, dates and enums; use `=` or `!=`.',
        'bad-operator',
    ),
    Entry(
        'not-a-condition',
        'error',
        'A value (a number, a text)',
        'A value (a number, a text) stands where a condition is needed.',
        'Compare it: `budget >= 10000`, `email is present`.',
        'not-a-condition',
    ),
    Entry(
        'bad-list',
        'error',
        'The list after `in` holds something other than literal values',
        'The list after `in` holds something other than literal values.',
        'Write the values themselves.',
        'bad-list',
    ),
    Entry(
        'bad-where',
        'error',
        '`did activity` / `no activity` has a `where`; any activity type has no properties to filter',
        '`did activity` / `no activity` has a `where`; any activity type has no properties to filter.',
        'Name one activity type.',
        'bad-where',
    ),
    Entry(
        'never-fires',
        'warning',
        'A rule can never fire: 0 points, a `false` condition, or `at least N of` with fewer than N conditions',
        'A rule can never fire: 0 points, a `false` condition, or `at least N of` with fewer than N conditions.',
        'Fix or remove the rule. (A warning.)',
        'never-fires',
    ),
    Entry(
        'unreachable-grade',
        'warning',
        'A grade band can never be chosen: an earlier band holds whenever it does (the same comparison with a looser threshold earlier, an earlier `when true`, or an earlier condition it includes)',
        'A grade band can never be chosen: an earlier band holds whenever it does (the same comparison with a looser threshold earlier, an earlier `when true`, or an earlier condition it includes).',
        'Order the bands from the strictest to the loosest, or change a condition.',
        'unreachable-grade',
    ),
    Entry(
        'test-without-as-of',
        'warning',
        'A test has no `as of` while its outcome depends on the day it runs: the policy uses `decay`, `within` or `days since`, or the test dates an activity',
        'A test has no `as of` while its outcome depends on the day it runs: the policy uses `decay`, `within` or `days since`, or the test dates an activity.',
        'Add `as of YYYY-MM-DD` to the test.',
        'test-without-as-of',
    ),
    Entry(
        'duplicate-test-item',
        'warning',
        'A test gives the same item twice: `as of`, `previous stage`, a field in `fields {}`, a property of one activity, or an `expect` of the same kind (`expect stage`, `expect grade`, `expect change`, the same `expect hit`)',
        'A test gives the same item twice: `as of`, `previous stage`, a field in `fields {}`, a property of one activity, or an `expect` of the same kind (`expect stage`, `expect grade`, `expect change`, the same `expect hit`). Only one can be meant.',
        'Keep one. Of two `as of` or two `previous stage` lines the last counts.',
        'duplicate-test-item',
    ),
    Entry(
        'duplicate-test',
        'warning',
        'Two tests of a policy have the same name (in the policy file, its `.tests` file, or one in each)',
        'Two tests of a policy have the same name, in the policy file, in its `.tests` file, or one in each. Both run, '
        'but a report that the test failed does not say which one.',
        'Name each test for what it checks.',
        'duplicate-test',
    ),
    Entry(
        'blank-text',
        'warning',
        'A text comparison with blank text (`""`, or white space alone) never holds, or always does: blank text in the data counts as missing',
        'Text read from the data is trimmed, and blank text counts as missing, so no value equals `""` or `" "`: '
        '`t = ""` never holds, `t != ""` always holds (a missing value included), a blank text in an `in` list '
        'never matches, and `t contains ""` (or `starts with ""`, `ends with ""`) holds for every value.',
        'Ask for a blank value with `is missing` and for any value with `is present`.',
        'blank-text',
    ),
    Entry(
        'unreachable-threshold',
        'warning',
        'A threshold on `engagement` or `fit` is above the most any lead can score (sum of positive points and caps)',
        'A threshold on `engagement` or `fit` is above the most any lead can score (sum of positive points and caps).',
        'Lower the threshold or add points. (A warning.)',
        'unreachable-threshold',
    ),
    Entry(
        'unused-field',
        'warning',
        'A declared field is used by no rule',
        'A declared field is used by no rule.',
        'Remove it or use it. (A warning; not shown when there are errors.)',
        'unused-field',
    ),
    Entry(
        'look-alike-names',
        'warning',
        'Two rule names, or two members of one enum field, look alike but are different names (a Cyrillic `а` for `a`, a no-break space for a space, a character that does not show)',
        'Two rule names, or two members of one enum field, read the same in the editor but are different '
        'names: wherever they differ, a letter of another script stands for an ASCII one (a Cyrillic `а` '
        'for `a`), a space of another kind for a space (a no-break space), or one holds a character that '
        'does not show (a zero-width space). Lead data and tests must match the exact name, and '
        '`leadpolicy diff` and the handoff document say the same of such names (docs/decisions.md entry 57). '
        'Said at the second name, with a note naming the first one\'s line and the differing characters by '
        'their Unicode names. Fields, activities and stages are ASCII words, so two of them never look alike.',
        'Retype the name with the odd character (copy the other one), or rename one of them. (A warning.)',
        'look-alike-names',
    ),
    Entry(
        'unused-activity',
        'warning',
        'A declared activity is used by no rule',
        'A declared activity is used by no rule.',
        'Remove it or score it. (A warning; not shown when there are errors.)',
        'unused-activity',
    ),
    Entry(
        'test-value',
        'error',
        'A test gives a field or property a value of the wrong type',
        'A test gives a field or property a value of the wrong type.',
        "Use the declared type's literal: a number, a quoted text, `true`/`false`, a date, an enum member.",
        'test-value',
    ),
    Entry(
        'unknown-change',
        'error',
        '`expect change` names something that is not a change',
        '`expect change` names something that is not a change.',
        'Changes are new, unchanged, promoted, demoted, disqualified, requalified.',
        'unknown-change',
    ),
    Entry(
        'unknown-rule',
        'error',
        '`expect hit` / `expect no hit` names a rule that does not exist',
        '`expect hit` / `expect no hit` names a rule that does not exist.',
        "Use the rule's exact name (the help suggests one).",
        'unknown-rule',
    ),
    Entry(
        'hit-without-points',
        'warning',
        '`expect hit` / `expect no hit` names a demotion or disqualification rule, which never hits',
        'A hit is a rule that gave points (docs/language-reference.md section 7): engagement and fit rules. '
        'Demotion and disqualification rules give none, so `expect hit` on one always fails and '
        '`expect no hit` always holds. (A warning; not shown when there are errors.)',
        'Test what the rule does instead: `expect stage` with the stage it demotes to, or `expect stage disqualified`.',
        'hit-without-points',
    ),
    Entry(
        'bad-number',
        'error',
        'A number literal is too large to be a number (it would be infinity)',
        'A number literal is too large to be a number (it would be infinity).',
        'Write a number below 1e308.',
        'bad-number',
    ),
    Entry(
        'too-deep',
        'error',
        'A condition is nested more than 64 levels deep, or is too long to read; the back ends promise to handle any policy that checks',
        'A condition is nested more than 64 levels deep, or is too long to read; the back ends promise to handle any policy that checks.',
        'Split it: give parts of it their own rules or stages.',
        'too-deep',
    ),
)

BY_CODE = {entry.code: entry for entry in CATALOG}

INTRO = '# Diagnostic reference\n\nEvery problem `leadpolicy check` reports has a stable code, a severity, a\nmessage, a position (file:line:column; a problem with the file itself,\n`file-problem`, has the file only) and usually a `help:` line. Codes never\nchange meaning; `check --format json` gives them to tools. Each entry shows a\npolicy that triggers it (checked by the test suite) and the exact message\n(pinned by golden tests in `tests/golden/diagnostics/`).\n\n'


def _first_with_code(rendered: str, code: str) -> str:
    """The first diagnostic of that code in a golden's rendered text."""
    for block in re.split(r"\n\n(?=(?:error|warning)\[)", rendered):
        if re.match(rf"(?:error|warning)\[{re.escape(code)}\]", block):
            return block.rstrip("\n") + "\n"
    raise ValueError(f"the golden case does not show {code}")




def render_reference(golden: Path) -> str:
    """docs/diagnostics.md, from the catalog and the golden cases in `golden`."""
    parts = [INTRO]
    for entry in CATALOG:
        policy = (golden / f"{entry.example}.policy").read_text(encoding="utf-8", errors="surrogatepass")
        fence = f"policy error={entry.code}"
        if entry.file_level:  # some other file given as a policy: shown, not checked as one
            fence = "text"
        elif LONE_SURROGATE.search(policy):  # not writable as UTF-8: shown, not checked, in the doc
            policy, fence = LONE_SURROGATE.sub("\ufffd", policy), "text"
        shown = _first_with_code((golden / f"{entry.example}.txt").read_text(encoding="utf-8"), entry.code)
        parts.append(
            f"### `{entry.code}`\n\n*{entry.severity}.* {entry.explanation} **Fix:** {entry.fix}\n\n"
            f"```{fence}\n{policy}```\n\n```text\n{shown}```\n\n"
        )
    return "".join(parts).rstrip("\n") + "\n"


if __name__ == "__main__":
    print(render_reference(Path("tests/golden/diagnostics")), end="")
