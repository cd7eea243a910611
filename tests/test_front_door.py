"""Fuzzing the front door: whatever text comes in, `leadpolicy.loads` returns a
Policy or raises PolicyError, never anything else (no RecursionError, no lark
VisitError, no TypeError, OverflowError, SyntaxError from the generated
module...). Every PolicyError carries diagnostics with a code, a severity, a
message and a position (line >= 1, column >= 1).

Inputs: arbitrary text; text after a valid header; soups of the language's
tokens; character and token mutations of policies/acme.policy and of random
valid policies (tests/leadgen.py); deep nesting and long chains. A policy
that loads is also run on a few leads, compiled and reference alike.

`LEADPOLICY_EXAMPLES` scales the example counts (default 1500: about 3,150
fuzzed texts in all).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from lark.exceptions import VisitError
from support.leadgen import policy_texts
from support.workload import bench_workload

import leadpolicy
from leadpolicy.check.checker import RESERVED
from leadpolicy.semantics import reference
from leadpolicy.syntax.diagnostics import render_json

ROOT = Path(__file__).resolve().parents[1]
ACME = (ROOT / "policies" / "acme.policy").read_text(encoding="utf-8")
HEADER = 'policy "P" version "1"\n'
SCALE = int(os.environ.get("LEADPOLICY_EXAMPLES", "1500")) / 1500
SEVERITIES = ("error", "warning")
AS_OF = "2026-11-22T00:00:00Z"


def examples(count: int) -> int:
    return max(10, int(count * SCALE))


FUZZ = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                  HealthCheck.filter_too_much, HealthCheck.large_base_example])


def _workload_leads() -> list:
    module = bench_workload()
    return [{"fields": {}, "activities": [], "previous_stage": None}] + [
        {"fields": lead["fields"], "activities": lead["activities"], "previous_stage": lead.get("stage")}
        for lead in module.generate_leads(3, seed=11)
    ]


LEADS = _workload_leads()


def _outcome(run):
    try:
        return ("decision", json.dumps(run(), ensure_ascii=False))
    except leadpolicy.LeadDataError as error:
        return ("error", error.field, str(error))


def front_door(text: str):
    """`loads(text)`: a Policy, or PolicyError with well-formed diagnostics. Anything
    else propagates and fails the test. A policy that loads also decides a few leads,
    the compiled module and the reference interpreter alike."""
    try:
        policy = leadpolicy.loads(text)
    except leadpolicy.PolicyError as error:
        assert_diagnostics(error)
        return None
    assert not any(d.is_error for d in policy.warnings)
    for lead in LEADS:
        compiled = _outcome(lambda: policy.evaluate(as_of=AS_OF, **lead).to_dict())
        expected = _outcome(lambda: reference.evaluate(policy.tree, as_of=AS_OF, **lead))
        assert compiled == expected, f"compiled and reference disagree on {lead}"
    return policy


def assert_diagnostics(error: leadpolicy.PolicyError) -> None:
    assert error.diagnostics, "a PolicyError without diagnostics"
    assert any(d.is_error for d in error.diagnostics), "a PolicyError without an error"
    for d in error.diagnostics:
        assert isinstance(d.code, str) and re.fullmatch(r"[a-z]+(-[a-z]+)*", d.code), d
        assert d.severity in SEVERITIES, d
        assert isinstance(d.message, str) and d.message.strip(), d
        assert d.line is not None and d.line >= 1, f"no line: {d}"
        assert d.column is not None and d.column >= 1, f"no column: {d}"
    # the ways users see them work too
    assert isinstance(str(error), str) and isinstance(error.render(), str)
    json.loads(render_json(error.diagnostics))


# ---------------------------------------------------------------- arbitrary text


@settings(max_examples=examples(800), **FUZZ)
@given(st.text())
def test_arbitrary_text(text: str) -> None:
    front_door(text)


@settings(max_examples=examples(400), **FUZZ)
@given(st.text())
def test_arbitrary_text_after_a_header(text: str) -> None:
    front_door(HEADER + text)


# ---------------------------------------------------------------- token soup

_TOKEN = re.compile(
    r'"(?:[^"\\\n]|\\.)*"'  # a string
    r"|#[^\n]*"  # a comment
    r"|\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?|\d{4}-\d{2}-\d{2}"  # a timestamp, a date
    r"|\d(?:_?\d)*(?:\.\d(?:_?\d)*)?"  # a number
    r"|[A-Za-z_][A-Za-z0-9_]*"  # a word
    r"|!=|<=|>=|->|\s+|.",
    re.S,
)
ACME_TOKENS = _TOKEN.findall(ACME)
assert "".join(ACME_TOKENS) == ACME
ODD_TOKENS = [
    '"unterminated', '"\\', '"\\n"', '""', '"\\""', "9999-99-99", "2026-02-30", "2026-11-22T25:00:00Z",
    "0000-01-01", "2026-11-22T10:30:00+99:99", "0", "0.0", "-", "--", "%", "(", ")", "((", "))", "{", "}",
    ",", ":", "->", "=", "\\", "@", "\x00", "\u2028", "\ufeff", "\t", "\r", "\n", "#", "disqualified",
    "Disqualified", "at", "type", "Lead", "MQL", "ä", "1e5", "1.", ".5", "10__0", "0x10", "_", "__init__",
    "None", "True", "lambda", "0 days", "1.5 days", "at least 0 times", "at least 0 of", "999999999 weeks",
    "0.0000000001 hours", "9" * 30, "9" * 400, "+", "*", "**", "'", "`", "$", "é", "😀", ";",
]
VOCABULARY = sorted({t for t in ACME_TOKENS if not t.isspace()} | RESERVED) + ODD_TOKENS
SPACES = [" ", "\n", "  ", "\t"]


def _kind(token: str) -> str:
    if token.startswith('"'):
        return "string"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", token):
        return "date"
    if token[:1].isdigit():
        return "number"
    if re.fullmatch(r"[A-Za-z_]\w*", token):
        return "word"
    return "other"


# Replacements of the same kind keep a mutant parseable more often, so it reaches
# the checker and the compiler.
SAME_KIND = {
    "number": ["0", "1", "00", "0.5", "1.5", "100", "101", "0.0000000001", "999999999", "1_000_000_000",
               "142_857_143", "9" * 30, "9" * 400],
    "string": ['""', '"disqualified"', '"A b"', '"\\"', '"\\""', '"Went quiet"', '"Competitor"', '"é😀"'],
    "date": ["2026-11-22", "0001-01-01", "9999-12-31", "2026-02-29", "2026-11-22T10:30:00Z",
             "9999-12-31T23:59:59-23:59", "2026-11-22T10:30"],
    "word": sorted(RESERVED) + ["lead", "mql", "sql", "disqualified", "Lead", "budget", "email", "A", "D",
                                "page_view", "PAGE_VIEW", "path", "at", "type", "x"],
}


@settings(max_examples=examples(400), **FUZZ)
@given(st.lists(st.sampled_from(VOCABULARY), max_size=60), st.lists(st.sampled_from(SPACES), max_size=60))
def test_token_soup(words: list, spaces: list) -> None:
    spaces = spaces + [" "] * (len(words) - len(spaces))
    front_door(HEADER + "".join(w + s for w, s in zip(words, spaces)))


# ---------------------------------------------------------------- mutations of real policies


@st.composite
def token_mutants(draw, base=None):
    """A policy with 1-4 token edits: delete, insert, duplicate, replace, or swap
    (with a neighbour or with any other token)."""
    tokens = list(ACME_TOKENS if base is None else _TOKEN.findall(base))
    for _ in range(draw(st.integers(1, 4))):
        if not tokens:
            tokens = [draw(st.sampled_from(VOCABULARY))]
        i = draw(st.integers(0, len(tokens) - 1))
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "replace", "swap near", "swap far",
                                   "same kind", "same kind", "same kind"]))
        if op == "same kind":
            kind = _kind(tokens[i])
            if kind not in SAME_KIND:
                kind = draw(st.sampled_from(sorted(SAME_KIND)))
                candidates = [k for k, t in enumerate(tokens) if _kind(t) == kind]
                i = draw(st.sampled_from(candidates)) if candidates else i
            tokens[i] = draw(st.sampled_from(SAME_KIND[kind]))
        elif op == "delete":
            del tokens[i]
        elif op == "insert":
            tokens.insert(i, draw(st.sampled_from(VOCABULARY)) + draw(st.sampled_from(["", " "])))
        elif op == "duplicate":
            tokens.insert(i, tokens[i])
        elif op == "replace":
            tokens[i] = draw(st.sampled_from(VOCABULARY))
        else:
            if op == "swap near":
                j = min(len(tokens) - 1, i + draw(st.integers(1, 4)))
            else:
                j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
    return "".join(tokens)


_CHARS = st.one_of(st.sampled_from(list('"\\(){}#\n\r\t-%,:=<>!_.0123456789azAZ \x00\u2028\ufeffé')), st.characters())


@st.composite
def char_mutants(draw, base=None):
    """A policy with 1-6 character edits: delete, insert, replace, swap."""
    text = list(ACME if base is None else base)
    for _ in range(draw(st.integers(1, 6))):
        if not text:
            text = [draw(_CHARS)]
        i = draw(st.integers(0, len(text) - 1))
        op = draw(st.sampled_from(["delete", "insert", "replace", "swap"]))
        if op == "delete":
            del text[i]
        elif op == "insert":
            text.insert(i, draw(_CHARS))
        elif op == "replace":
            text[i] = draw(_CHARS)
        else:
            j = min(len(text) - 1, i + 1) if draw(st.booleans()) else draw(st.integers(0, len(text) - 1))
            text[i], text[j] = text[j], text[i]
    return "".join(text)


@settings(max_examples=examples(700), **FUZZ)
@given(token_mutants())
def test_token_mutations_of_acme(text: str) -> None:
    front_door(text)


@settings(max_examples=examples(500), **FUZZ)
@given(char_mutants())
def test_character_mutations_of_acme(text: str) -> None:
    front_door(text)


@settings(max_examples=examples(100), **FUZZ)
@given(st.integers(0, len(ACME)))
def test_every_prefix_of_acme(cut: int) -> None:
    front_door(ACME[:cut])


@settings(max_examples=examples(250), **FUZZ)
@given(st.data())
def test_mutations_of_random_policies(data) -> None:
    base = data.draw(policy_texts(), label="policy")
    mutate = data.draw(st.sampled_from([token_mutants, char_mutants]), label="mutation")
    front_door(data.draw(mutate(base), label="mutant"))


def test_acme_itself_loads() -> None:
    assert front_door(ACME) is not None


# ---------------------------------------------------------------- deep nesting and long chains

DECLS = HEADER + "fields { budget number  ok boolean }\nactivities { visit (p number) }\n"


def _nested(shape: str, depth: int) -> str:
    """A stage condition nested `depth` levels deep (or a chain `depth` long)."""
    if shape == "parentheses":
        return "(" * depth + "budget >= 1" + ")" * depth
    if shape == "not":
        return "not " * depth + "ok"
    if shape == "unary minus":
        return "budget > " + "- " * depth + "1"
    if shape == "unary minus, parenthesized":
        return "budget > " + "-(" * depth + "1" + ")" * depth
    if shape == "and/or alternating":
        condition = "ok"
        for i in range(depth):
            condition = f"(budget > {i} {'or' if i % 2 else 'and'} {condition})"
        return condition
    if shape == "at least of":
        condition = "ok"
        for _ in range(depth):
            condition = f"at least 1 of ({condition}, ok)"
        return condition
    if shape == "arithmetic, parenthesized":
        return "budget > " + "(1 + " * depth + "1" + ")" * depth
    if shape == "where":
        condition = "p = 1"
        for i in range(depth):
            condition = f"(p = {i} or {condition})"
        return f"did visit where {condition} within 3 days"
    if shape == "or chain":
        return " or ".join(f"budget = {i}" for i in range(depth))
    if shape == "plus chain":
        return "budget > " + " + ".join(["1"] * depth)
    raise AssertionError(shape)


SHAPES = ["parentheses", "not", "unary minus", "unary minus, parenthesized", "and/or alternating",
          "at least of", "arithmetic, parenthesized", "where", "or chain", "plus chain"]


def shallow(run):
    """run(), with a RecursionError (bare, or wrapped by lark in a VisitError) raised
    again without its thousands of frames and deep trees, which pytest would spend
    minutes printing."""
    try:
        return run()
    except VisitError as error:
        if not isinstance(error.orig_exc, RecursionError):
            raise
        message = f"in lark's Transformer (VisitError): {error.orig_exc}"
    except RecursionError as error:
        message = str(error)
    raise RecursionError(message)


@pytest.mark.parametrize("depth", [30, 64, 200, 1000, 5000])
@pytest.mark.parametrize("shape", SHAPES)
def test_deep_nesting_is_a_policy_error_or_a_policy(shape: str, depth: int) -> None:
    text = DECLS + "stages { lead  mql when " + _nested(shape, depth) + " }\n"
    shallow(lambda: front_door(text))


@pytest.mark.parametrize("shape", SHAPES)
def test_the_deepest_nesting_accepted_compiles_and_decides(shape: str) -> None:
    """At the limit the checker sets, the generated Python still compiles (CPython
    refuses about 200 nested parentheses) and both back ends decide alike."""
    def accepted(depth: int) -> bool:
        return shallow(lambda: front_door(DECLS + "stages { lead  mql when " + _nested(shape, depth) + " }\n")) is not None

    low, high = 1, 300  # the deepest accepted lies in [low, high]
    assert accepted(low)
    while low < high:
        middle = (low + high + 1) // 2
        if accepted(middle):
            low = middle
        else:
            high = middle - 1


@pytest.mark.parametrize("depth", [30, 64, 200, 1000])
def test_deep_nesting_in_a_fit_rule(depth: int) -> None:
    text = DECLS + "stages { lead }\nfit { \"deep\": +5 when " + _nested("and/or alternating", depth) + " }\n"
    shallow(lambda: front_door(text))


# ---------------------------------------------------------------- literals at the edges


EDGE_LITERALS = {
    "a window longer than any date range": "stages { lead  mql when did visit within 999999999 weeks }",
    "an infinite window": "stages { lead  mql when did visit within " + "9" * 400 + " weeks }",
    "a decay period longer than any date range": (
        'stages { lead }\nengagement { "r": +5 per visit\n decay 50% every 999999999 weeks }'),
    "a decay period under a microsecond": (
        'stages { lead }\nengagement { "r": +5 per visit\n decay 50% every 0.0000000001 hours }'),
    "a window under a microsecond": "stages { lead  mql when did visit within 0.0000000001 hours }",
    "huge counts": "stages { lead  mql when did visit at least 99999999999999999999999 times "
                   "and at least 99999999999999999999999 of (ok) }",
    "infinite points": 'stages { lead }\nengagement { "r": +' + "9" * 400 + " per visit max " + "9" * 400 + " }",
    "infinite fit, both ways": ('stages { lead }\nfit { "r": -' + "9" * 400 + ' when ok\n "s": +' + "9" * 400
                                + " when ok }"),
    "timestamps at the ends of time": (
        "stages { lead  mql when budget > 1 and 9999-12-31T23:59:59-23:59 > 0001-01-01T00:00:00+23:59 }"),
    "a stage named Disqualified": "stages { lead  Disqualified when ok }",
    "an infinite `at least N of`": "stages { lead  mql when at least " + "9" * 400 + " of (ok) }",
    "an infinite `at least N times`": "stages { lead  mql when did visit at least " + "9" * 400 + " times }",
    "an infinite count in a test": ('stages { lead }\ntest "t" { activity visit ' + "9" * 400
                                    + " times 1 day ago\n expect stage lead }"),
}


@pytest.mark.parametrize("name", sorted(EDGE_LITERALS))
def test_literals_at_the_edges(name: str) -> None:
    front_door(DECLS + EDGE_LITERALS[name] + "\n")
