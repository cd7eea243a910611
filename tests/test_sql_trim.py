"""DuckDB's shortcuts for trimming and lower-casing (backends/sql/reading.py) against
Python's str.strip() and str.lower() on a real DuckDB: every whitespace character
Python strips, at either end, alone, doubled, mixed with spaces; non-ASCII ends; empty
text; NULL."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings, strategies as st
from support.seeds import DERANDOMIZE

pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

WHITESPACE = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
# Ends that are not whitespace: printable ASCII at the edges of the test's range, controls
# and DEL, non-ASCII letters and marks, the zero-width space (not whitespace to Python),
# characters whose UTF-8 shares a last byte with U+0085 / U+2028 (Å U+00C5, é U+00E9), and
# the Kelvin sign (lower-cases to ASCII k).
NOT_WHITESPACE = ["a", "!", "~", "Z", "0", "\x7f", "\x01", "\x08", "\x0e", "\x1b", "\u200b", "\u2060", "\ufeff", "é",
                  "\u00c5", "\u0301", "\u0130", "\u212a", "\U0001f600", "\u2027", "\u202a", "\u3001"]
_ANY_END = st.sampled_from(WHITESPACE + NOT_WHITESPACE)


def _values(expression_of, texts: "list[str | None]", collation: "str | None" = None) -> list:
    """Each text through the DuckDB expression `expression_of(column)`, in order."""
    import duckdb

    from leadpolicy.backends.sql.fragments import building, exp, generate

    with building("duckdb"):
        sql = generate(expression_of(exp.column("lp_t")), "duckdb", pretty=False)
    con = duckdb.connect()
    if collation:
        con.execute(f"SET default_collation = '{collation}'")
    rows = con.execute(f"SELECT lp_i, {sql} FROM (SELECT UNNEST($texts) AS lp_t, UNNEST(range(len($texts))) AS lp_i)"
                       " ORDER BY lp_i", {"texts": texts}).fetchall()
    return [value for _, value in rows]


def _trimmed(texts: "list[str | None]", collation: "str | None" = None) -> list:
    from leadpolicy.backends.sql import reading

    return _values(reading.trimmed, texts, collation)


def test_every_whitespace_character_alone_doubled_and_with_spaces_at_either_end() -> None:
    texts: "list[str | None]" = ["", None, " ", "  ", "a", "ab", "a b", "é", "\u200b"]
    for ws in WHITESPACE:
        for pad in (ws, ws + ws, " " + ws, ws + " ", " " + ws + " ", "\xa0" + ws + "\u3000"):
            texts += [pad, pad + "x", "x" + pad, pad + "x" + pad, pad + "a b" + pad[::-1], pad + "é", "\u00c5" + pad]
    assert _trimmed(texts) == [None if t is None else t.strip() for t in texts]


def test_non_whitespace_ends_are_kept() -> None:
    texts = [a + middle + b for a in NOT_WHITESPACE for b in NOT_WHITESPACE for middle in ("", " ", "\t")]
    assert _trimmed(texts) == [t.strip() for t in texts]
    assert _trimmed(texts) == texts


@settings(max_examples=60, deadline=None, derandomize=DERANDOMIZE)
@given(texts=st.lists(st.builds(lambda a, middle, b: a + middle + b, st.text(_ANY_END, max_size=3),
                                st.text(max_size=5), st.text(_ANY_END, max_size=3)), min_size=40, max_size=40))
def test_trimmed_is_python_strip(texts: list) -> None:
    texts = [t.replace("\x00", "") for t in texts]  # DuckDB text holds no NUL
    assert _trimmed(texts) == [t.strip() for t in texts]


@settings(max_examples=15, deadline=None, derandomize=DERANDOMIZE)
@given(texts=st.lists(st.builds(lambda a, middle, b: a + middle + b, st.text(_ANY_END, max_size=2),
                                st.text(max_size=4), st.text(_ANY_END, max_size=2)), min_size=40, max_size=40))
def test_trimmed_is_python_strip_under_a_case_and_accent_insensitive_default_collation(texts: list) -> None:
    """The fast test compares the text with '!' and CHR(127): a user's connection may have a
    default collation (score_duckdb takes the user's connection)."""
    texts = [t.replace("\x00", "") for t in texts]
    assert _trimmed(texts, "nocase.noaccent") == [t.strip() for t in texts]


# ---------------------------------------------------------------- enums, types and stages, whole queries

_POLICY = '''policy "Spellings" version "1"
owner marketing "M"
owner sales "S"

fields {
  level   one of (ic, Manager, VP)
  region  one of (emea, "İstanbul", apac)
  note    text
}

activities {
  page_view  (kind one of (blog, Pricing), path text)
  Chat
}

stages {
  lead
  MQL  when level = VP or did page_view where kind = Pricing
  sql  when MQL and did Chat
}

engagement {
  "Viewed": +5 per page_view within 30 days
  "Dotted path": +7 per page_view where path = "/İ"
  "Blank path": +11 per page_view where path is missing
}

fit {
  "Senior": +10 when level in (Manager, VP)
  "Turkey": +5 when region = "İstanbul"
  "Noted": +2 when note = "istanbul"
  "Dotted": +3 when note = "İstanbul"
  "No note": +1 when note is missing
}
'''


def _spellings(word: str) -> "list[object]":
    """Ways a lead may spell `word` (or not quite): padded with whitespace Python strips, other
    cases, U+0130 for I, a zero-width space, a blank, an integer."""
    return [word, word.upper(), word.title(), f" {word}\t", f"\u2028{word.upper()}\u3000", f"\x1c{word}\u0085",
            word.replace("i", "\u0130").replace("I", "\u0130"), f"{word}\u200b", "", " \t ", 3, None]


def test_enum_members_types_and_stages_are_read_as_the_reference_reads_them() -> None:
    import json

    from support.backends import Case, assert_agree, run_duckdb, run_duckdb_relational, run_reference, run_reference_relational

    import leadpolicy

    policy = leadpolicy.loads(_POLICY)
    words = {"level": ("ic", "manager", "vp", "istanbul", "nope"), "region": ("emea", "İstanbul", "istanbul", "apac", "ic"),
             "stage": ("lead", "mql", "SQL", "disqualified", "lİad"), "type": ("page_view", "chat", "PAGE_VİEW", "webinar", "Chat"),
             "kind": ("blog", "pricing", "Pricing", "prİcing", "x"), "note": ("istanbul", "İstanbul", "x"),
             "path": ("/i", "/İ", "/I")}
    valid = {"level": "vp", "region": "emea", "stage": "lead", "type": "page_view", "kind": "pricing", "note": "x", "path": "/"}
    lines = []
    for slot, choices in words.items():  # one slot spelled oddly per lead, the others valid
        for value in [s for w in choices for s in _spellings(w)]:
            lead = {**valid, slot: value}
            activity = {"type": lead["type"], "at": "2026-11-01T00:00:00Z", "kind": lead["kind"], "path": lead["path"]}
            fields = {"level": lead["level"], "region": lead["region"], "note": lead["note"]}
            lines.append(json.dumps({"id": f"L{len(lines)}", "fields": fields,
                                     "activities": [activity, {"type": "chat", "at": "2026-11-02"}], "stage": lead["stage"]},
                                    ensure_ascii=False))
    case = Case(policy, lines, "2026-11-20T00:00:00Z")
    expected = run_reference(case)
    assert len({outcome for outcome in expected}) > 10  # decisions and errors of many kinds
    assert_agree("duckdb", run_duckdb(case), expected, case)
    assert_agree("duckdb (relational)", run_duckdb_relational(case), run_reference_relational(case), case)
