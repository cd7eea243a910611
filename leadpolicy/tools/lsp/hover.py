"""Hover: what a name means, in the words of the handoff document; what a keyword does.

On a field, activity, property, stage, group, rule, grade or enum member: its
declaration as written, and the plain-English sentence the handoff document
prints for it (`leadpolicy.handoff.english`, the same sentences, not a copy),
with what uses it. On a word of the language: one line of the language
reference. The result is Markdown; `plain` turns it into plain text for an
editor that shows no Markdown.
"""

from __future__ import annotations

import logging
import re
from itertools import islice
from typing import TYPE_CHECKING, Callable, Optional, Union

from leadpolicy.syntax import nodes as n
from leadpolicy.tools.lsp.documents import Unit
from leadpolicy.tools.lsp.positions import scan, span_contains, token_at
from leadpolicy.tools.lsp.symbols import Key, Occurrence

if TYPE_CHECKING:
    from leadpolicy.handoff.english import English, Prose
    from leadpolicy.syntax.diagnostics import Span
    from leadpolicy.tools.lsp.positions import LineIndex

log = logging.getLogger("leadpolicy.lsp")

# One line of the language reference (docs/language-reference.md) per word of the language.
KEYWORD_HELP: dict[str, str] = {
    "policy": '`policy "NAME" version "V"` comes first, once: the agreement\'s name and version.',
    "version": '`policy "NAME" version "V"`: the version of the agreement, shown in every decision.',
    "owner": '`owner ROLE "PERSON"`: who signs the agreement off (any number, right after `policy`).',
    "fields": "`fields { NAME TYPE [\"description\"] ... }`: what is known about a lead. Any field may be missing.",
    "activities": '`activities { NAME [(PROP TYPE, ...)] ["description"] ... }`: the kinds of event a lead can produce.',
    "stages": "`stages { NAME [\"description\"] [when CONDITION] ... }`: ordered lowest first; the first has no condition.",
    "engagement": "The behaviour score: the sum of the engagement rules (`\"NAME\": ±P per ACTIVITY ...`); in a condition, that score.",
    "fit": "Who the lead is: the sum of the fit rules (`\"NAME\": ±P when COND`), optionally in groups; in a condition, that score.",
    "grades": "`grades { LETTER when COND ... LETTER otherwise }`: the first band that matches gives the grade.",
    "grade": "The lead's grade letter; compare it with `=`, `!=`, `in`, `not in`. In tests: `expect grade LETTER`.",
    "demote": '`demote { "NAME": FROM -> TO when COND }`: when a lead falls back to a lower stage (stages are sticky).',
    "disqualify": '`disqualify { "NAME": when COND }`: the first rule that holds puts the lead in `disqualified`.',
    "test": '`test "NAME" { ... }`: an example lead and what the policy must decide for it.',
    "text": "A field type: text. Compared without regard to case; empty text counts as missing.",
    "number": "A field type: a number (`10`, `2.5`, `10_000`).",
    "boolean": "A field type: true or false. Alone it is a condition (`is_customer`); a missing one is false.",
    "date": "A field type: a date or timestamp (`2026-11-22`, `2026-11-22T10:30:00Z`).",
    "one": "`one of (a, b, ...)`: an enum type. Members are ordered as declared, so `>=` works on them.",
    "of": "`one of (...)` (an enum type), `at least N of (...)`, `as of DATE` (a test's evaluation time).",
    "when": "Introduces a condition: a stage's entry criterion, a fit rule, a grade band, a demotion, a disqualification.",
    "per": '`"NAME": ±P per ACTIVITY`: points for each activity of that type that matches.',
    "where": "`did ACT where COND` / `per ACT where COND`: filter on the activity's properties; it extends as far as it can.",
    "within": "`within N days`: only activities in the window `[as_of - N days, as_of]` count.",
    "max": "`max M`: caps an engagement rule's total (after decay) at M in magnitude.",
    "decay": "`decay X% every DURATION`: an activity's points shrink by X% for every full DURATION of its age.",
    "every": "`decay X% every DURATION`: the period of the decay.",
    "did": "`did ACT [where COND] [at least N times] [within DURATION]`: the lead did that activity.",
    "no": "`no ACT [where COND] [within DURATION]` means `not did ...`. In tests: `expect no hit \"RULE\"`.",
    "activity": "`did activity`: any declared activity type. In tests: `activity ACT (prop: value) N days ago`.",
    "at": "`at least N times`, `at least N of (...)`; in tests `activity ... at TIMESTAMP`; `at` is every activity's time.",
    "least": "`at least N times` (in `did`) or `at least N of (COND, ...)`: N or more of them.",
    "times": "`at least N times` in `did`; `N times` in a test activity (repeat it).",
    "and": "Both conditions hold. Binds tighter than `or`.",
    "or": "At least one condition holds. Binds loosest of all.",
    "not": "Plain negation: `not (budget >= 10000)` holds when budget is missing. Also `not in (...)`.",
    "in": "`x in (a, b)`: x is one of the listed values (text without regard to case); false when x is missing.",
    "is": "`x is missing` / `x is present`: test for a value that is absent, null or blank.",
    "missing": "`x is missing`: the value is absent, null or blank text.",
    "present": "`x is present`: the value is there (not absent, null or blank).",
    "starts": "`x starts with \"...\"`: a text test, without regard to case.",
    "ends": "`x ends with \"...\"`: a text test, without regard to case.",
    "with": "`starts with` / `ends with`: text tests, without regard to case.",
    "contains": "`x contains \"...\"`: a text test, without regard to case.",
    "true": "The boolean true.",
    "false": "The boolean false.",
    "otherwise": "`LETTER otherwise`: the last grade band, for every lead no band above matched.",
    "since": "`days since FIELD`: whole days from a date field to the evaluation time.",
    "as": "`as of DATE|TIMESTAMP`: when a test is evaluated (default: now).",
    "ago": "`activity ACT N days ago`: a test activity's time, relative to `as of`.",
    "previous": "`previous stage S`: the stage the test lead had before (stages are sticky).",
    "stage": "`previous stage S`, `expect stage S`: a stage name (or `disqualified`).",
    "expect": "`expect stage|change|grade|engagement|fit|hit|no hit ...`: what the test requires.",
    "hit": '`expect hit "RULE"`: the rule contributed points (or fired).',
    "change": "`expect change C`: new, unchanged, promoted, demoted, disqualified or requalified.",
    "hour": "A duration unit: `1 hour`.",
    "hours": "A duration unit: `N hours`.",
    "day": "A duration unit: `1 day`.",
    "days": "A duration unit: `N days`; also `days since FIELD`.",
    "week": "A duration unit: `1 week`.",
    "weeks": "A duration unit: `N weeks`.",
}

# Where each word is explained in docs/language-reference.md (`of` serves two sections: none).
KEYWORD_SECTION: dict[str, str] = {
    **dict.fromkeys(("policy", "version", "owner"), "3"),
    **dict.fromkeys(("fields", "text", "number", "boolean", "date", "one"), "5"),
    "activities": "6",
    "stages": "7",
    **dict.fromkeys(("engagement", "per", "within", "max", "decay", "every"), "8"),
    **dict.fromkeys(("hour", "hours", "day", "days", "week", "weeks"), "2.8"),
    "fit": "9",
    **dict.fromkeys(("grades", "grade", "otherwise"), "10"),
    "demote": "11",
    "disqualify": "12",
    **dict.fromkeys(("and", "or", "not", "true", "false"), "13.7"),
    **dict.fromkeys(("in",), "13.4"),
    **dict.fromkeys(("starts", "ends", "with", "contains"), "13.5"),
    **dict.fromkeys(("is", "missing", "present"), "13.6"),
    **dict.fromkeys(("at", "least"), "13.8"),
    **dict.fromkeys(("did", "no", "activity", "times"), "13.9"),
    "since": "13.1",
    "where": "13.10",
    "when": "13",
    **dict.fromkeys(("test", "expect", "as", "ago", "previous", "stage", "hit", "change"), "17"),
}

# What each change of a decision means (docs/language-reference.md section 14), for `expect change C`.
CHANGE_HELP: dict[str, str] = {
    "new": "the lead had no previous stage.",
    "unchanged": "the resulting stage is the previous one (a lead disqualified again included).",
    "promoted": "the lead moved to a higher stage than its previous one.",
    "demoted": "a `demote` rule moved the lead below its previous stage (stages are sticky otherwise).",
    "disqualified": "a `disqualify` rule put the lead out.",
    "requalified": "the lead was `disqualified` before and no disqualify rule holds now.",
}

MAX_DECLARATION_LINES = 12


def hover(unit: Unit, path: str, offset: int) -> Optional[str]:
    """Markdown for the thing at a character offset of the file, or None."""
    source = unit.source(path)
    if source is None:
        return None
    line1, column1 = source.index.line_column(offset)
    if unit.tree is not None or unit.test_blocks or unit.partial is not None:
        occurrence = unit.index.at(path, line1, column1)
        described = describe(unit, occurrence.key) if occurrence is not None else None
        if described is not None:
            return described
    token = token_at(source.text, offset)
    if token is not None and token.kind in ("number", "op") and unit.tree is not None and unit.policy is not None and path == unit.policy.path:
        points = _points(unit.tree, source.index, offset)
        if points is not None:
            return points
    after = _word_before(source.text, token.start) if token is not None and token.kind == "word" else None
    if token is not None and after == "change" and token.text in CHANGE_HELP:
        return f"**Change `{token.text}`** — {CHANGE_HELP[token.text]}\n\nLanguage reference, section 14."
    if token is not None and after == "owner" and unit.tree is not None and unit.policy is not None and path == unit.policy.path:
        from leadpolicy.handoff.document import md_escape

        people = [md_escape(o.person) for o in unit.tree.owners if o.role == token.text]
        if people:
            return (f"**Owner** `{token.text}`: {' and '.join(people)} sign{'s' if len(people) == 1 else ''} the agreement off "
                    f"for {token.text} (the handoff document's sign-off table); owners change no decision.\n\nLanguage reference, section 3.")
    if token is not None and after == "stage" and token.text == "disqualified":
        return ("**`disqualified`** — where the `disqualify` block puts a lead: not a declared stage, "
                "and no stage may be named so.\n\nLanguage reference, section 12.")
    if token is not None and token.kind == "word" and token.text in KEYWORD_HELP:
        section = KEYWORD_SECTION.get(token.text)
        more = f"\n\nLanguage reference, section {section}." if section else ""
        return f"**`{token.text}`** — {KEYWORD_HELP[token.text]}{more}"
    return None


_FENCE = re.compile(r"(`{3,})[^`]*")
_INLINE = re.compile(r"\\([\\`*_\[\]<>|#&$~])|(`+)|\*\*")


def plain(markdown: str) -> str:
    """A hover's Markdown as the plain text it shows: the lines of a fenced block as they are
    (the declaration as written), code spans' text, no `**`, and what `md_escape` escaped as it
    was. Only what the hover writes is read: fences, code spans, `**` and backslash escapes."""
    out: list[str] = []
    fence: Optional[str] = None
    for line in markdown.split("\n"):
        if fence is not None:
            if line.rstrip() == fence:
                fence = None
            else:
                out.append(line)
            continue
        opening = _FENCE.fullmatch(line)
        if opening is not None:
            fence = opening.group(1)
            continue
        out.append(_plain_line(line))
    return "\n".join(out)


def _plain_line(line: str) -> str:
    parts: list[str] = []
    at = 0
    while True:
        mark = _INLINE.search(line, at)
        if mark is None:
            return "".join(parts) + line[at:]
        parts.append(line[at : mark.start()])
        at = mark.end()
        if mark.group(1) is not None:  # an escaped character: itself
            parts.append(mark.group(1))
        elif mark.group(2) is not None:  # a code span: its text as it is, up to the same run of backticks
            close = re.compile(rf"(?<!`){mark.group(2)}(?!`)").search(line, at)
            if close is None:
                parts.append(mark.group(2))
            else:
                parts.append(line[at : close.start()])
                at = close.end()


def _word_before(text: str, start: int) -> Optional[str]:
    """The word just before a token (on any line before it, comments skipped)."""
    before = [tok for tok in scan(text, max(0, text.rfind("\n", 0, max(0, text.rfind("\n", 0, start))) + 1), start) if tok.kind != "comment"]
    return before[-1].text if before and before[-1].kind == "word" else None


def _points(policy: n.Policy, lines: "LineIndex", offset: int) -> Optional[str]:
    """On a rule's points (`+5`, `-30`): what they add, and where, in a sentence."""
    line1, column1 = lines.line_column(offset)
    rules: tuple[Union[n.EngagementRule, n.FitRule], ...] = (*policy.engagement_rules, *policy.fit_rules)
    for rule in rules:
        if rule.span is None or not span_contains(rule.span, line1, column1):
            continue
        if isinstance(rule, n.EngagementRule) and _word_before(lines.text, _number_start(lines.text, offset)) in ("max", "within"):
            return _engagement_points(rule, policy.decay)  # its cap or its window: the same sentence says what they do
        if not _on_points(lines, rule.span, offset):
            return None
        if isinstance(rule, n.EngagementRule):
            return _engagement_points(rule, policy.decay)
        group = f" (group `{rule.group}`)" if rule.group else ""
        effect = "taken off" if rule.points < 0 else "added to"
        return f"**{_signed(rule)} fit points**{group}, {effect} the fit score when the rule's condition holds.\n\nLanguage reference, section 9."
    return None


def _number_start(text: str, offset: int) -> int:
    """The start of the number token at the offset (the offset itself when there is none)."""
    token = token_at(text, offset)
    return token.start if token is not None and token.kind == "number" else offset


def _on_points(lines: "LineIndex", span: "Span", offset: int) -> bool:
    """Is the offset on a rule's points, the `[+|-]N` after `"NAME":`?"""
    tokens = list(islice(scan(lines.text, lines.offset(span.line, span.column)), 4))
    if len(tokens) < 3 or tokens[0].kind != "string" or tokens[1].text != ":":
        return False
    first = tokens[2]
    number = tokens[3] if first.text in ("+", "-") and len(tokens) > 3 else first
    return number.kind == "number" and first.start <= offset <= number.end


def _engagement_points(rule: n.EngagementRule, decay: Optional[n.Decay]) -> str:
    text = f"**{_signed(rule)} engagement points** for each `{rule.activity}`"
    if rule.where is not None:
        text += " that matches the rule's `where`"
    if rule.within is not None:
        text += f", in the last {_duration(rule.within)}"
    if rule.max is not None:
        cap = rule.max_text or f"{rule.max:g}"
        text += f"; the rule's total is capped at {'-' if rule.points < 0 else ''}{cap} (after decay)"
    if decay is not None:
        text += f"; an activity's points shrink by {decay.percent_text}% every {_duration(decay.every)} of its age"
    return text + ".\n\nLanguage reference, section 8."


def _signed(rule: Union[n.EngagementRule, n.FitRule]) -> str:
    written = rule.points_text or f"{rule.points:g}"
    return written if written.startswith(("+", "-")) else "+" + written


def _duration(duration: n.Duration) -> str:
    amount = duration.text or f"{duration.amount:g}"
    return f"{amount} {duration.unit}{'' if duration.amount == 1 else 's'}"


def describe(unit: Unit, key: Key) -> Optional[str]:
    declaration = unit.index.declarations.get(key)
    shown = declaration
    if key[0] == "member":  # show the field (or property) that declares the member
        owner = key[1].split(".", 1)
        shown = unit.index.declarations.get(("field", owner[0]) if len(owner) == 1 else ("property", *owner))
    parts: list[str] = []
    if shown is not None:
        parts.append(_declaration_text(unit, shown))
    try:
        about = _about(unit, key, declaration)
    except ImportError:
        raise  # leadpolicy itself is broken: no quiet hover without its sentence
    except Exception:  # an unresolved piece of a policy with errors: show what we can
        log.debug("no English for %s", key, exc_info=True)
        about = None
    if about:
        parts.append(about)
    users = _used_by(unit, key)
    if users:
        parts.append("Used by " + ", ".join(users) + ".")
    if not parts:
        return None
    return "\n\n".join(parts)


def _declaration_text(unit: Unit, occurrence: Occurrence) -> str:
    node = occurrence.node
    source = unit.source(occurrence.path)
    if source is None:
        return ""
    span = node.span if node is not None and node.span is not None else occurrence.span
    start = source.index.offset(span.line, span.column)
    end = source.index.offset(span.end_line, span.end_column)
    lines = source.text[start:end].splitlines() or [""]
    if len(lines) > MAX_DECLARATION_LINES:
        lines = lines[:MAX_DECLARATION_LINES] + ["  ..."]
    indent = " " * (span.column - 1)
    text = "\n".join([lines[0]] + [line[len(indent) :] if line.startswith(indent) else line for line in lines[1:]])
    return f"```policy\n{text}\n```"


def _about(unit: Unit, key: Key, declaration: Optional[Occurrence]) -> Optional[str]:
    from leadpolicy.handoff.document import md_block, md_code, md_escape
    from leadpolicy.handoff.english import English, stage_title

    policy = unit.resolved or unit.partial  # (a block that parses in a policy that does not: its own sentence)
    node = declaration.node if declaration is not None else None
    kind = key[0]
    if policy is None:
        return None
    english = English(policy)
    if kind == "field" and isinstance(node, n.FieldDecl):
        text = f"**Field** `{node.name}`: {md_escape(node.type)}."
        return text + (f" {md_escape(node.description)}" if node.description else "")
    if kind == "activity" and isinstance(node, n.ActivityDecl):
        props = ", ".join(f"`{p.name}` ({p.type})" for p in node.props) or "none"
        text = f"**Activity** `{node.name}` — the handoff document calls it “{english.activity_noun(node.name)}”. Properties: {props}."
        return text + (f" {md_escape(node.description)}" if node.description else "")
    if kind == "property" and isinstance(node, n.PropDecl):
        return f"**Property** `{node.name}` of activity `{key[1]}`: {node.type}."
    if kind == "member":
        owner = key[1]
        return f"**Member** {md_code(key[2])} of `{owner}`; members are ordered as declared."
    if kind == "stage" and isinstance(node, n.StageDecl):
        stages = [s.name for s in policy.stages]
        i = stages.index(node.name) if node.name in stages else 0
        stage = policy.stages[i]
        head = f"**Stage {i + 1} of {len(stages)}**: {stage_title(node.name)}"
        if node.description:
            head += f" — {md_escape(node.description)}"
        return head + "\n\n" + md_block(english.stage_sentence(stage, i))
    if kind == "grade" and isinstance(node, n.GradeBand):
        band = next(b for b in policy.grades if b.letter == node.letter)
        return md_block(english.grade_sentence(band))
    if kind == "group" and isinstance(node, n.FitGroup):
        group = next(g for g in policy.items("fit") if isinstance(g, n.FitGroup) and g.name == node.name)
        best = sum(r.points for r in group.rules if r.points > 0)
        names = ", ".join(f"“{md_escape(r.name)}”" for r in group.rules) or "none"
        return f"**Fit group** `{group.name}`: {len(group.rules)} rule{'s' if len(group.rules) != 1 else ''} ({names}), up to {best:+g} points."
    if kind == "rule":
        return _rule(policy, english, key[1], md_block)
    return None


def _rule(policy: n.Policy, english: "English", name: str, md_block: Callable[["Prose"], str]) -> Optional[str]:
    for engagement in policy.engagement_rules:
        if engagement.name == name:
            return "**Engagement rule**: " + md_block(english.engagement_sentence(engagement, policy.decay))
    for fit in policy.fit_rules:
        if fit.name == name:
            group = f" in group `{fit.group}`" if fit.group else ""
            return f"**Fit rule**{group}: " + md_block(english.fit_sentence(fit))
    for demotion in policy.demotions:
        if demotion.name == name:
            return "**Demotion**: " + md_block(english.demotion_sentence(demotion))
    for rule in policy.disqualifications:
        if rule.name == name:
            return "**Disqualification**: " + md_block(english.disqualify_sentence(rule))
    return None


def _used_by(unit: Unit, key: Key) -> list[str]:
    """The rules, stages and grades of the policy whose text mentions the name."""
    policy = unit.tree
    if policy is None and str(key[-1]).lower() not in unit.unparsed_words():  # no use outside the blocks that parse
        policy = unit.partial
    if key[0] not in ("field", "activity", "property", "stage", "member") or policy is None or unit.policy is None:
        return []
    owners: list[str] = []
    for occurrence in unit.index.of(key):
        if occurrence.declaration or occurrence.path != unit.policy.path:
            continue
        label = _owner_label(policy, occurrence)
        if label and label not in owners:
            owners.append(label)
    return owners


def _owner_label(policy: n.Policy, occurrence: Occurrence) -> Optional[str]:
    from leadpolicy.handoff.document import md_escape

    at = (occurrence.span.line, occurrence.span.column)
    for block in policy.blocks:
        for item in block.items:
            rules = item.rules if isinstance(item, n.FitGroup) else (item,)
            for rule in rules:
                if not span_contains(rule.span, *at):
                    continue
                if isinstance(rule, n.StageDecl):
                    return f"stage `{rule.name}`"
                if isinstance(rule, n.GradeBand):
                    return f"grade `{rule.letter}`"
                if isinstance(rule, n.TestBlock):
                    return f"test “{md_escape(rule.name)}”"
                if hasattr(rule, "name") and isinstance(rule.name, str):
                    return f"“{md_escape(rule.name)}”"
    return None
