"""Completion: the words that may come next, and the names that make sense there.

Two sources, so half-written text still gets help:

- the parser: the text before the cursor is fed to Lark's interactive LALR
  parser, and the terminals it would accept next give the keywords (and say
  whether a name, a unit or a string may come);
- the tokens around the cursor (`positions.scan`): after `did`, `no` or
  `per` the activity types; inside a `where` that activity's properties;
  after `=`, `!=`, `in (` on a `one of` field its members; after `->`,
  `previous stage`, `expect stage` the stages; after `days since` the date
  fields; in a test's `fields { }` the fields, in `activity X (...)` X's
  properties (those not given a value yet); after `expect hit "` the rule names.

The declared names come from the last version of the policy that parsed,
so completion keeps working while the text around the cursor is broken.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Union

from leadpolicy.syntax import nodes as n
from leadpolicy.tools.lsp.context import cursor
from leadpolicy.tools.lsp.positions import Tok, token_at

CHANGES = n.CHANGES
# the language's units (nodes.UNIT_NAMES), offered plural first: days, weeks, hours, day, week, hour
_ORDER = ("day", "week", "hour")
UNITS = tuple(sorted(n.UNIT_NAMES, key=lambda unit: (not unit.endswith("s"), _ORDER.index(n.UNIT_NAMES[unit]))))
# After these a condition wants an operand: a field, a stage, a score, `did` ...
OPERAND_BEFORE = {"when", "and", "or", "not", "where", "(", ",", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*"}


@dataclass(frozen=True)
class Item:
    label: str
    kind: str  # keyword, field, activity, property, stage, member, grade, rule, unit, change, operator
    detail: str = ""
    insert_text: Optional[str] = None
    replace: Optional[tuple[int, int]] = None  # character offsets the insert replaces


class Names:
    """What a policy declares, for completion."""

    def __init__(self, policy: Optional[n.Policy]):
        self.fields = {f.name: f for f in policy.fields} if policy else {}
        self.activities = {a.name: a for a in policy.activities} if policy else {}
        self.stages = [s.name for s in policy.stages] if policy else []
        self.letters = [g.letter for g in policy.grades] if policy else []
        rules: list[str] = []
        if policy is not None:
            for group in (policy.engagement_rules, policy.fit_rules, policy.demotions, policy.disqualifications):
                rules.extend(r.name for r in group)
        self.rules = rules
        self.blocks = {b.kind for b in policy.blocks if b.kind != "test"} if policy else set()  # each comes once


def expected_terminals(prefix: str, start: str) -> Optional[set[str]]:
    """The terminals the grammar accepts after `prefix`; None when the prefix has an error."""
    from lark.exceptions import LarkError

    from leadpolicy.syntax.parser import lark_parser

    try:
        parser = lark_parser().parse_interactive(prefix, start=start)
        for _ in parser.iter_parse():
            pass
        accepts: Callable[[], set[str]] = parser.accepts  # untyped in lark
        return set(accepts())
    except (LarkError, RecursionError):
        return None


def _terminal_word(name: str) -> Optional[str]:
    from leadpolicy.syntax.parser import lark_parser

    try:
        pattern = lark_parser().get_terminal(name).pattern
    except KeyError:
        return None
    if pattern.type == "str" and pattern.value.isidentifier():
        return pattern.value
    return None


def complete(text: str, offset: int, names: Names, tests_file: bool = False) -> list[Item]:
    token = token_at(text, offset)
    if token is not None and token.start < offset:
        if token.kind == "comment":
            return []
        if token.kind in ("string", "open_string") and not (token.kind == "string" and token.end == offset):
            return _in_string(text, token, offset, names, tests_file)
    begin = token.start if token is not None and token.kind == "word" and token.end >= offset and token.start < offset else offset
    at = cursor(text, begin, tests_file)  # only the block and rule around the cursor
    tokens = at.tokens(text)
    accepted = expected_terminals(at.parse_text, "tests_file" if tests_file else "start")
    items: list[Item] = []
    if accepted is None or "IDENT" in accepted:
        items.extend(_names(tokens, names, tests_file))
    if accepted is None:
        from leadpolicy.syntax.keywords import keywords

        words = sorted(keywords())
    else:
        words = sorted({w for w in map(_terminal_word, accepted) if w})
        if "UNIT" in accepted:
            items.extend(Item(u, "unit", "duration unit") for u in UNITS)
    seen = {i.label for i in items} | _not_allowed(tokens) | _not_comparable(_value_type(tokens, names))
    operand = _operand_type(tokens, names)
    seen |= _not_applicable(operand)
    if accepted is not None and "COMPARE" in accepted:  # a value not compared yet: `budget |`, `grade |`
        seen |= _not_a_condition(operand)
        items.extend(Item(op, "operator", "comparison") for op in _comparisons(operand))
    if _nothing_to_filter(tokens, names):
        seen.add("where")
    if not tests_file and not _blocks(tokens):  # at the top level: a block the policy has cannot come again
        seen |= names.blocks
    items.extend(Item(w, "keyword") for w in words if w not in seen)
    return items


# The words that may start a value: a literal, or a score, a grade, `days since FIELD`.
_VALUE_WORDS = frozenset(("true", "false", "days", "engagement", "fit", "grade"))


def _not_comparable(value_type: Union[n.FieldType, str, None]) -> set[str]:
    """The words that cannot be a value of this type (`seniority = true`, a test's `budget: true`)."""
    if value_type is None:
        return set()
    kind = "grade" if value_type == "grade" else getattr(value_type, "kind", None)
    if kind == "boolean":
        return set(_VALUE_WORDS - {"true", "false"})
    if kind == "number":
        return {"true", "false", "grade"}
    return set(_VALUE_WORDS)


def _nothing_to_filter(tokens: list[Tok], names: Names) -> bool:
    """After `did activity` (bad-where) or an activity with no properties (unknown-property), a
    `where` has nothing to filter on (docs/language-reference.md section 13.10)."""
    if len(tokens) < 2 or tokens[-2].text not in ("did", "no", "per") or tokens[-1].kind != "word":
        return False
    activity = tokens[-1].text
    declared = names.activities.get(activity)
    return activity == "activity" or (declared is not None and not declared.props)


# The text tests (docs/language-reference.md section 13.5): on text only, `type-mismatch` on anything else.
_TEXT_TESTS = frozenset(("contains", "starts", "ends"))


def _not_applicable(operand: Union[n.FieldType, str, None]) -> set[str]:
    """The words that cannot follow a complete value of this type (`budget contains`, `10000 starts with`)."""
    if operand is None or (isinstance(operand, n.FieldType) and operand.kind == n.FieldKind.TEXT):
        return set()
    return set(_TEXT_TESTS)


def _not_a_condition(operand: Union[n.FieldType, str, None]) -> set[str]:
    """After a value the grammar would still compare (`budget |`, `grade |`, `10000 |`): `and` and
    `or` join conditions, and a value other than a boolean is none (not-a-condition, section 13.7)."""
    if operand is None or (isinstance(operand, n.FieldType) and operand.kind == n.FieldKind.BOOLEAN):
        return set()
    return {"and", "or"}


# Order comparisons work on numbers, dates and `one of` fields; text and grades have only `=` and
# `!=` (bad-operator, docs/language-reference.md section 13.3).
_EQUALITY = ("=", "!=")
_ORDERED = ("=", "!=", "<", "<=", ">", ">=")


def _comparisons(operand: Union[n.FieldType, str, None]) -> tuple[str, ...]:
    """The comparison operators that apply to a value of this type: none offered for a boolean,
    a condition already (`vip = true` is `vip`), or a value of unknown type."""
    kind = "grade" if operand == "grade" else getattr(operand, "kind", None)
    if kind in (n.FieldKind.NUMBER, n.FieldKind.DATE, n.FieldKind.ENUM):
        return _ORDERED
    if kind in (n.FieldKind.TEXT, "grade"):
        return _EQUALITY
    return ()


def _operand_type(tokens: list[Tok], names: Names) -> Union[n.FieldType, str, None]:
    """The type of the value the tokens end with, when it is plain: a literal, a field (a property
    inside a `where`), a score, `grade`, `days since FIELD`. None when unknown (a parenthesis)."""
    if not tokens:
        return None
    last = tokens[-1]
    if last.kind == "number" or (last.kind == "word" and last.text in ("engagement", "fit")):
        return _NUMBER
    if last.kind in ("date", "timestamp"):
        return n.FieldType(n.FieldKind.DATE)
    if last.kind == "string":
        return n.FieldType(n.FieldKind.TEXT)
    if last.kind != "word":
        return None
    if last.text in ("true", "false"):
        return n.FieldType(n.FieldKind.BOOLEAN)
    if last.text == "grade":
        return "grade"
    if len(tokens) >= 3 and tokens[-2].text == "since" and tokens[-3].text == "days":
        return _NUMBER
    return _named_type(names, _where_activity(tokens), last.text)


def _value_type(tokens: list[Tok], names: Names) -> Union[n.FieldType, str, None]:
    """The type of the value at the end of the tokens: what it is compared with, or the field
    or property a test's `name: |` gives it to."""
    stack = _blocks(tokens)
    if stack and stack[0] == "test":
        if len(tokens) < 2 or tokens[-1].text != ":":
            return None
        if stack[-1] == "fields":
            declared = names.fields.get(tokens[-2].text)
            return declared.type if declared else None
        props = _test_activity_props(tokens)
        activity = names.activities.get(props[0]) if props is not None else None
        prop = next((p for p in activity.props if props is not None and p.name == props[1]), None) if activity else None
        return prop.type if prop else None
    return _compared_type(tokens, names, _where_activity(tokens))


def _not_allowed(tokens: list[Tok]) -> set[str]:
    """Words the grammar accepts but the checker refuses here (docs/language-reference.md section 13.13's table)."""
    if _where_activity(tokens) is not None:
        return {"engagement", "fit", "grade", "days", "did", "no"}
    block = (_blocks(tokens) or [""])[0]
    if block == "fit":
        return {"engagement", "fit", "grade", "did", "no"}
    if block == "grades":
        return {"grade"}
    return set()


def _in_string(text: str, token: Tok, offset: int, names: Names, tests_file: bool = False) -> list[Item]:
    """Inside a string: after `expect hit` or `expect no hit`, the rule names; where a member
    of a `one of` field or property goes (`stage_name = "|`, a test's `stage_name: "|`), the
    members, quoted (a member with a space or a reserved word is written as a string)."""
    from leadpolicy.syntax.parser import quote, unquote

    tokens = cursor(text, token.start, tests_file).tokens(text)  # (a window of text could start inside a string)
    if tokens and tokens[-1].kind == "word" and tokens[-1].text == "hit":
        end = token.end
        if token.kind == "open_string" and text[offset : offset + 1] == '"':
            end = offset + 1  # the quote the editor closed for us
        return [Item(rule, "rule", "rule", quote(rule), (token.start, end)) for rule in names.rules]
    members = [item for item in _names(tokens, names, tests_file) if item.kind == "member"]
    end = token.end if token.kind == "string" else offset  # an open string runs to the line's end
    found = []
    for item in members:
        member = quote(unquote(item.label) if item.label.startswith('"') else item.label)
        found.append(Item(member, "member", item.detail, member, (token.start, end)))
    return found


def _names(tokens: list[Tok], names: Names, tests_file: bool) -> list[Item]:
    """The declared names that fit after these tokens."""
    stack = _blocks(tokens)
    block = stack[0] if stack else ""
    inner = stack[-1] if stack else ""
    prev = tokens[-1].text if tokens else ""
    prev2 = tokens[-2].text if len(tokens) > 1 else ""

    def fields(only: Optional[str] = None) -> list[Item]:
        return [
            Item(f.name, "field", str(f.type) + (f" — {f.description}" if f.description else ""))
            for f in names.fields.values()
            if only is None or f.type.kind == only
        ]

    def stages(upto: Optional[int] = None) -> list[Item]:
        return [Item(s, "stage", f"stage {i + 1}") for i, s in enumerate(names.stages) if upto is None or i < upto]

    activities = [
        Item(a.name, "activity", "(" + ", ".join(f"{p.name} {p.type}" for p in a.props) + ")" if a.props else "activity")
        for a in names.activities.values()
    ]
    if block in ("fields", "activities"):
        return []  # every name there is declared there: a member or a property is new, not a field
    if prev in ("did", "no", "per") or (prev == "activity" and block == "test"):
        return activities
    if prev == "since":
        return fields("date")
    if prev == "->" and prev2 in names.stages:  # a demotion goes to a lower stage (demotion-direction)
        return stages(names.stages.index(prev2))
    if prev == ":" and block == "demote":  # from any stage but the first, which has none below it
        return stages()[1:]
    if prev == "->":
        return stages()
    if prev == "stage" and prev2 in ("previous", "expect"):
        return stages() + [Item(n.DISQUALIFIED, "stage", "the disqualified state")]
    if prev2 == "expect" and prev == "grade":
        return [Item(letter, "grade", "grade") for letter in names.letters]
    if prev2 == "expect" and prev == "change":
        return [Item(c, "change", "change") for c in CHANGES]
    where = _where_activity(tokens)
    decl_type = _compared_type(tokens, names, where)
    if decl_type == "grade":
        return [Item(letter, "grade", "grade") for letter in names.letters]
    if isinstance(decl_type, n.FieldType) and decl_type.kind == "enum":
        listed = _listed(tokens)  # `in (director, |`: a member listed once is enough
        return [Item(n.member_text(m), "member", str(decl_type)) for m in decl_type.members if m.lower() not in listed]
    if isinstance(decl_type, n.FieldType) and block != "test":  # compared with a field or property: names of its type
        if where is not None:
            activity = names.activities.get(where)
            return [Item(p.name, "property", str(p.type)) for p in activity.props if p.type.kind == decl_type.kind] if activity else []
        return fields(decl_type.kind)
    if block == "test":
        return _test_names(tokens, names, inner, prev, prev2, fields)
    if prev not in OPERAND_BEFORE and prev not in ("in",):
        return []  # a new declaration's name, or after a complete value
    if where is not None:
        activity = names.activities.get(where)
        return [Item(p.name, "property", str(p.type)) for p in activity.props] if activity else []
    if block in ("stages",):
        return fields() + stages(_current_stage_index(tokens, names))
    if block in ("demote", "disqualify"):
        return fields() + stages()
    if block in ("fit", "grades"):
        return fields()
    return fields()


def _test_names(tokens: list[Tok], names: Names, inner: str, prev: str, prev2: str, fields: Callable[..., list[Item]]) -> list[Item]:
    if inner == "fields":
        if prev in ("{", ","):
            given = _given(tokens, "{")
            return [item for item in fields() if item.label not in given]
        if prev == ":" and prev2 in names.fields:
            t = names.fields[prev2].type
            if t.kind == "enum":
                return [Item(n.member_text(m), "member", str(t)) for m in t.members]
        return []
    props = _test_activity_props(tokens)
    if props is not None:
        activity_name, prop = props
        activity = names.activities.get(activity_name)
        if activity is None:
            return []
        if prop is None:
            given = _given(tokens, "(")
            return [Item(p.name, "property", str(p.type)) for p in activity.props if p.name not in given]
        decl = next((p for p in activity.props if p.name == prop), None)
        if decl is not None and decl.type.kind == "enum":
            return [Item(n.member_text(m), "member", str(decl.type)) for m in decl.type.members]
    return []


def _listed(tokens: list[Tok]) -> set[str]:
    """The values already in the list the tokens end in (`in (a, "b c", |`), lower case; none
    outside a list."""
    from leadpolicy.syntax.parser import unquote

    values: set[str] = set()
    for i in range(len(tokens) - 1, 0, -1):
        tok = tokens[i]
        if tok.text == "(":
            return values if tokens[i - 1].text == "in" else set()
        if tok.kind == "word":
            values.add(tok.text.lower())
        elif tok.kind == "string":
            values.add(unquote(tok.text).lower())
        elif tok.text != ",":
            return set()
    return set()


def _given(tokens: list[Tok], opening: str) -> set[str]:
    """The names given a value (`name:`) since the last `opening` bracket: a test lead has one value
    per field (duplicate-test-item), an activity one per property."""
    given: set[str] = set()
    for i in range(len(tokens) - 1, 0, -1):
        if tokens[i].text == opening:
            break
        if tokens[i].text == ":" and tokens[i - 1].kind == "word":
            given.add(tokens[i - 1].text)
    return given


def _blocks(tokens: list[Tok]) -> list[str]:
    """The blocks around the end of the tokens, outermost first: ["fit", "budget"], ["test", "fields"]."""
    stack: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.text == "{":
            before = tokens[i - 1] if i > 0 else None
            if before is not None and before.kind == "string" and i > 1 and tokens[i - 2].text == "test":
                stack.append("test")
            else:
                stack.append(before.text if before is not None else "")
        elif tok.text == "}" and stack:
            stack.pop()
    return stack


def _where_activity(tokens: list[Tok]) -> Optional[str]:
    """The activity whose `where` the end of the tokens is in, if any."""
    end = len(tokens)
    depth = 0
    for i in range(end - 1, -1, -1):  # inside `kind in (live, |`: the list's `in` is where to look from
        if tokens[i].text == ")":
            depth += 1
        elif tokens[i].text == "(":
            if depth == 0:
                end = i - 1 if i > 0 and tokens[i - 1].text == "in" else end
                break
            depth -= 1
    depth = 0
    for i in range(end - 1, -1, -1):
        tok = tokens[i]
        if tok.text == ")":
            depth += 1
        elif tok.text == "(":
            if depth == 0:
                if i > 0 and tokens[i - 1].text in ("of", "in"):
                    return None  # `at least N of (`, `in (`: a new condition or a list
                continue  # a parenthesis inside the filter
            depth -= 1
        elif depth == 0:
            if tok.text in ("within", "max", "times", "when", "{", "}", ":", ","):
                return None
            if tok.text == "where" and i >= 2 and tokens[i - 2].text in ("did", "no", "per"):
                return tokens[i - 1].text
    return None


_NUMBER = n.FieldType(n.FieldKind.NUMBER)


def _compared_type(tokens: list[Tok], names: Names, where: Optional[str]) -> Union[n.FieldType, str, None]:
    """The type of what the next value is compared with (`seniority = |`, `grade in (A, |`)."""
    if not tokens:
        return None
    i = len(tokens) - 1
    if tokens[i].text in ("=", "!=", "<", "<=", ">", ">="):
        j = i - 1
        operand = tokens[j] if i > 0 else None
    else:
        # inside `x in (a, b, |`: back over the items to `(`, then `in`, maybe `not`
        while i >= 0 and tokens[i].text not in ("(", ")") and tokens[i].text not in OPERAND_BEFORE - {","}:
            i -= 1
        if i < 1 or tokens[i].text != "(" or tokens[i - 1].text != "in":
            return None
        j = i - 2
        if j >= 0 and tokens[j].text == "not":
            j -= 1
        operand = tokens[j] if j >= 0 else None
    if operand is None or operand.kind != "word":
        return None
    if operand.text == "grade":
        return "grade"
    if operand.text in ("engagement", "fit") or (j >= 2 and tokens[j - 1].text == "since" and tokens[j - 2].text == "days"):
        return _NUMBER  # a score, `days since FIELD`
    return _named_type(names, where, operand.text)


def _named_type(names: Names, where: Optional[str], name: str) -> Optional[n.FieldType]:
    """The declared type of `name`: a property of the activity of an enclosing `where`, else a field."""
    if where is not None:
        activity = names.activities.get(where)
        prop = next((p for p in activity.props if p.name == name), None) if activity else None
        return prop.type if prop else None
    field = names.fields.get(name)
    return field.type if field else None


def _current_stage_index(tokens: list[Tok], names: Names) -> Optional[int]:
    """In the stages block, the index of the stage whose condition is being written."""
    depth = 0
    for i in range(len(tokens) - 1, -1, -1):
        text = tokens[i].text
        if text == ")":
            depth += 1
        elif text == "(":
            depth -= 1
        elif text == "{":
            return None
        elif text == "when" and depth == 0:
            j = i - 1
            if j >= 0 and tokens[j].kind == "string":
                j -= 1
            if j >= 0 and tokens[j].text in names.stages:
                return names.stages.index(tokens[j].text)
            return None
    return None


def _test_activity_props(tokens: list[Tok]) -> Optional[tuple[str, Optional[str]]]:
    """Inside `activity X (p: v, |`: (X, None) for a property name, (X, p) for p's value."""
    i = len(tokens) - 1
    prop = None
    if i >= 1 and tokens[i].text == ":":
        prop = tokens[i - 1].text
    while i >= 0 and tokens[i].text not in ("(", ")", "{", "}"):
        i -= 1
    if i >= 2 and tokens[i].text == "(" and tokens[i - 2].text == "activity":
        if prop is None and tokens[-1].text not in ("(", ","):
            return None
        return tokens[i - 1].text, prop
    return None
