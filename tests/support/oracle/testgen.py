"""Hypothesis strategies of `test` blocks (LANGUAGE.md section 9) for a policy parsed by the
oracle, to compare the oracle's reading of tests with the project's test runner."""

from __future__ import annotations

import re

from hypothesis import strategies as st

from .syntax import Policy

# the reserved words of LANGUAGE.md section 2
RESERVED = set("""and or not in when per where within max did no activity at least times starts ends with
contains is missing present true false one of text number boolean date decay every otherwise since policy
version owner fields activities stages engagement fit grades grade demote disqualify test expect as ago
previous stage hit change hour hours day days week weeks""".split())
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TEXTS = ["a", "A b", " padded ", "", "  ", "@gmail.com", "/blog/x", "Demo", "ß", "İx", "42", "quote\"d", "back\\slash"]
_NUMBERS = ["0", "1", "5", "10", "2.5", "0.1", "100", "10_000", "-3", "-0.5", "99999"]
_DATES = ["2026-11-22", "2026-11-01", "2025-12-31", "2026-11-21T23:00:00Z", "2026-11-22T10:30:00.5+05:30",
          "2026-11-20T12:00"]
_AS_OF = ["2026-11-22", "2026-11-22T00:00:00Z", "2026-11-22T10:30:00Z", "2026-11-22T12:00:00.25-08:00"]
_AGO = ["1 day", "2 days", "1.5 days", "3 hours", "0.5 hours", "1 week", "2 weeks", "14 days", "30 days",
        "31 days", "90 days", "1 hour", "400 days"]
_CHANGES = ["new", "unchanged", "promoted", "demoted", "disqualified", "requalified"]
_OPS = ["=", "!=", "<", "<=", ">", ">="]
_SCORES = ["0", "5", "10", "15", "2.5", "60", "-50", "0.1", "0.30", "100", "1_000", "33.33"]


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _member(member: str) -> str:
    return member if _IDENT.fullmatch(member) and member not in RESERVED else quote(member)


@st.composite
def _value(draw, type_) -> str:
    if type_.kind == "number":
        return draw(st.sampled_from(_NUMBERS))
    if type_.kind == "text":
        return quote(draw(st.sampled_from(_TEXTS)))
    if type_.kind == "boolean":
        return draw(st.sampled_from(["true", "false"]))
    if type_.kind == "date":
        return draw(st.sampled_from(_DATES))
    return _member(draw(st.sampled_from(type_.members)))  # as declared: another case is a checker error


@st.composite
def _pairs(draw, types: dict) -> str:
    names = draw(st.lists(st.sampled_from(sorted(types)), unique=True, max_size=len(types))) if types else []
    return ", ".join(f"{name}: {draw(_value(types[name]))}" for name in names)


@st.composite
def blocks_of_tests(draw, policy: Policy, count: int = 3) -> str:
    """`count` test blocks for the policy: each with an `as of`, maybe a previous stage, fields,
    activities and a few expectations of every kind."""
    stages = [s.name for s in policy.stages] + ["disqualified"]
    letters = [letter for letter, _ in policy.grades or ()]
    rules = [r.name for r in policy.engagement] + [r.name for r in policy.fit]
    out = []
    for number in range(count):
        lines = [f"test \"t{number}\" {{", f"  as of {draw(st.sampled_from(_AS_OF))}"]
        if draw(st.booleans()):
            lines.append(f"  previous stage {draw(st.sampled_from(stages))}")
        if policy.fields and draw(st.booleans()):
            lines.append("  fields { " + draw(_pairs(policy.fields)) + " }")
        for _ in range(draw(st.integers(0, 4)) if policy.activities else 0):
            name = draw(st.sampled_from(sorted(policy.activities)))
            text = f"  activity {name}"
            props = draw(_pairs(policy.activities[name]))
            if props:
                text += f" ({props})"
            if draw(st.integers(0, 2)) == 0:
                text += f" {draw(st.integers(1, 3))} times"
            if draw(st.integers(0, 4)) == 0:
                text += f" at {draw(st.sampled_from(_DATES))}"
            else:
                text += f" {draw(st.sampled_from(_AGO))} ago"
            lines.append(text)
        for _ in range(draw(st.integers(1, 5))):
            kinds = ["stage", "change", "engagement", "fit"] + ["grade"] * bool(letters) + ["hit", "no hit"] * bool(rules)
            kind = draw(st.sampled_from(kinds))
            if kind == "stage":
                lines.append(f"  expect stage {draw(st.sampled_from(stages))}")
            elif kind == "change":
                lines.append(f"  expect change {draw(st.sampled_from(_CHANGES))}")
            elif kind == "grade":
                lines.append(f"  expect grade {draw(st.sampled_from(letters))}")
            elif kind in ("engagement", "fit"):
                lines.append(f"  expect {kind} {draw(st.sampled_from(_OPS))} {draw(st.sampled_from(_SCORES))}")
            else:
                lines.append(f"  expect {kind} {quote(draw(st.sampled_from(rules)))}")
        out.append("\n".join(lines) + "\n}\n")
    return "\n".join(out)
