"""Writes the grammar's scope tests (scopes.policy, scopes.tests) for vscode-tmgrammar-test
from a readable spec: each source line, then (text, nth occurrence, scope) to assert under it.

    python editors/vscode/test/make_scope_tests.py
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent
DECL, KW, OP, TYPE, UNIT = (
    "keyword.other.declaration.leadpolicy",
    "keyword.control.leadpolicy",
    "keyword.operator.word.leadpolicy",
    "storage.type.leadpolicy",
    "keyword.other.unit.leadpolicy",
)
STR, NUM, DATE, CMT, NAME = (
    "string.quoted.double.leadpolicy",
    "constant.numeric.leadpolicy",
    "constant.other.date.leadpolicy",
    "comment.line.number-sign.leadpolicy",
    "variable.other.leadpolicy",
)
DECLARED, ACT, RULE = (
    "entity.name.variable.declaration.leadpolicy",
    "entity.name.type.activity.leadpolicy",
    "entity.name.function.rule.leadpolicy",
)

POLICY = [
    ("# A comment runs to the end of the line.", [("# A comment", 0, CMT)]),
    ('policy "Acme \\"Cloud\\" handoff" version "2026.11.1"', [
        ("policy", 0, DECL), ('"Acme \\"Cloud\\" handoff"', 0, STR), ('\\"', 0, "constant.character.escape.leadpolicy"),
        ("version", 0, DECL), ('"2026.11.1"', 0, STR)]),
    ('owner sales "Lee Park"  # a "quoted" word in a comment', [
        ("owner", 0, DECL), ("sales", 0, NAME), ('"Lee Park"', 0, STR), ('# a "quoted"', 0, CMT), ('"quoted"', 0, "- " + STR)]),
    ("", []),
    ("fields {", [("fields", 0, DECL)]),
    ('  email      text    "Work email"', [("email", 0, DECLARED), ("text", 0, TYPE), ('"Work email"', 0, STR)]),
    ("  seniority  one of (ic, manager, vp)", [("seniority", 0, DECLARED), ("one of", 0, TYPE), ("ic", 0, NAME)]),
    ("  budget     number", [("budget", 0, DECLARED), ("number", 0, TYPE)]),
    ("  is_customer boolean", [("boolean", 0, TYPE)]),
    ("  created    date", [("date", 0, TYPE)]),
    ("}", []),
    ("activities {", [("activities", 0, DECL)]),
    ("  webinar  (title text, minutes number)", [("webinar", 0, DECLARED), ("title", 0, NAME), ("text", 0, TYPE)]),
    ("}", []),
    ("stages {", [("stages", 0, DECL)]),
    ("  lead", [("lead", 0, DECLARED)]),
    ('  mql  "Marketing qualified"  when engagement >= 60 and fit >= 40.5', [
        ("mql", 0, DECLARED), ("when", 0, KW), ("engagement", 0, DECL), (">=", 0, "keyword.operator.comparison.leadpolicy"),
        ("60", 0, NUM), ("and", 0, OP), ("40.5", 0, NUM)]),
    ("  sql  when mql and did webinar where minutes >= 20 within 14 days", [
        ("mql", 0, NAME), ("did", 0, KW), ("webinar", 0, ACT), ("where", 0, KW), ("minutes", 0, NAME),
        ("within", 0, KW), ("days", 0, UNIT)]),
    ("}", []),
    ("engagement {", []),
    ('  "Attended a webinar":  +30  per webinar where minutes >= 20  max 10_000', [
        ('"Attended a webinar"', 0, RULE), ('"Attended a webinar"', 0, STR), (":", 0, "punctuation.separator.key-value.leadpolicy"),
        ("+", 0, "keyword.operator.arithmetic.leadpolicy"), ("30", 0, NUM), ("per", 0, KW), ("webinar", 1, ACT),
        ("max", 0, KW), ("10_000", 0, NUM)]),
    ("  decay 50% every 30days", [
        ("decay", 0, KW), ("50", 0, NUM), ("%", 0, "keyword.other.unit.percent.leadpolicy"), ("every", 0, KW), ("30", 0, NUM),
        ("days", 0, UNIT)]),
    ("}", []),
    ("fit {", [("fit", 0, DECL)]),
    ("  authority {", [("authority", 0, NAME)]),
    ('    "Decision maker":  +25 when seniority in (vp) and not is_customer', [
        ('"Decision maker"', 0, RULE), ("seniority", 0, NAME), ("in", 0, OP), ("not", 0, OP)]),
    ("  }", []),
    ('  "Free email":  -30 when email ends with "@gmail.com" or created < 2026-01-01', [
        ("-", 0, "keyword.operator.arithmetic.leadpolicy"), ("ends", 0, OP), ("with", 0, OP), ('"@gmail.com"', 0, STR),
        ('"@gmail.com"', 0, "- " + RULE), ("2026-01-01", 0, DATE)]),
    ("}", []),
    ("grades {", [("grades", 0, DECL)]),
    ("  A when fit >= 70", [("A", 0, NAME)]),
    ("  B otherwise", [("otherwise", 0, KW)]),
    ("}", []),
    ("demote {", [("demote", 0, DECL)]),
    ('  "Went quiet":  sql -> mql when no activity within 30 days', [
        ("->", 0, "keyword.operator.transition.leadpolicy"), ("no", 0, KW), ("activity", 0, KW), ("activity", 0, "- " + ACT)]),
    ("}", []),
    ("disqualify {", [("disqualify", 0, DECL)]),
    ('  "Customer":  when is_customer = true', [("true", 0, "constant.language.boolean.leadpolicy")]),
    ("}", []),
]

TESTS = [
    ('test "A VP who asked for a demo" {', [("test", 0, DECL), ('"A VP who asked for a demo"', 0, "entity.name.function.test.leadpolicy")]),
    ("  as of 2026-11-22T10:30:00Z", [("as", 0, KW), ("of", 0, KW), ("2026-11-22T10:30:00Z", 0, DATE)]),
    ("  previous stage mql", [("previous", 0, KW), ("stage", 0, KW), ("mql", 0, NAME)]),
    ('  fields { seniority: vp, budget: 20_000, email: "pat@bigco.example" }', [
        ("fields", 0, DECL), ("seniority", 0, "variable.other.field.leadpolicy"), ("20_000", 0, NUM), ('"pat@bigco.example"', 0, STR)]),
    ('  activity webinar (title: "ROI", minutes: 45) 3 times 2 days ago', [
        ("activity", 0, KW), ("webinar", 0, ACT), ("times", 0, KW), ("days", 0, UNIT), ("ago", 0, KW)]),
    ("  expect stage sql", [("expect", 0, KW)]),
    ('  expect no hit "Free email"', [("no", 0, KW), ("hit", 0, KW), ('"Free email"', 0, STR)]),
    ("}", []),
]


def render(title: str, spec) -> str:
    out = [f'# SYNTAX TEST "source.leadpolicy" "{title}"']
    for source, assertions in spec:
        out.append(source)
        for text, nth, scope in assertions:
            at = -1
            for _ in range(nth + 1):
                at = source.index(text, at + 1)
            if at == 0:  # the comment sign sits in column 0: point back at it with <-
                out.append("# <" + "-" * len(text) + " " + scope)
            else:
                out.append("#" + " " * (at - 1) + "^" * len(text) + " " + scope)
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    (HERE / "scopes.policy").write_text(render("keywords, strings, numbers, comments and names", POLICY), encoding="utf-8")
    (HERE / "scopes.tests").write_text(render("a .tests file", TESTS), encoding="utf-8")
