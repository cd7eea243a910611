"""The language's fixed vocabulary, with one home each: the reserved words, the
duration units, the states and changes a decision names, how a name or member is
written back, and the kinds (field types, block keywords, test values, expectations)
the nodes carry. `syntax/nodes.py` re-exports every name, so `nodes.BlockKind` and
`nodes.quote` keep working.
"""

from __future__ import annotations

import re
from enum import StrEnum

# ---------------------------------------------------------------- shared pieces

# The one home of names the language fixes (the grammar spells them too; the
# runtime, embedded into compiled modules alone, keeps its own literal copies).
DISQUALIFIED = "disqualified"  # the reserved state of a disqualified lead
# A decision's `change` (docs/language-reference.md section 15), in the order reports list them.
CHANGES = ("new", "unchanged", "promoted", "demoted", DISQUALIFIED, "requalified")
UNIT_SECONDS = {"hour": 3600, "day": 86400, "week": 604800}
MICROS_PER_DAY = UNIT_SECONDS["day"] * 1_000_000
# The comparison that holds when its two sides swap places (`5 < x` is `x > 5`).
MIRRORED = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
UNIT_NAMES = {"hour": "hour", "hours": "hour", "day": "day", "days": "day", "week": "week", "weeks": "week"}
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # as the grammar's IDENT
# The words of the language (docs/language-reference.md section 2). The grammar's IDENT never matches one of
# them, so a reserved word where a name could stand is always an error at the word itself.
RESERVED_WORDS = frozenset(
    """and or not in when per where within max did no activity at least times starts ends with contains
    is missing present true false one of text number boolean date decay every otherwise since policy
    version owner fields activities stages engagement fit grades grade demote disqualify test expect
    as ago previous stage hit change hour hours day days week weeks""".split()
)


def quote(value: str) -> str:
    """A string literal that reads back as `value` (the parser's `unquote` undoes it)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def member_text(member: str) -> str:
    """An enum member as a policy writes it: bare when it is a plain name, else quoted."""
    if IDENTIFIER.fullmatch(member) and member not in RESERVED_WORDS:
        return member
    return quote(member)


# ---------------------------------------------------------------- kinds
# Each is a StrEnum, so a kind still equals, hashes and prints as its keyword
# (`kind == "enum"`, f"{kind}", JSON): code written against the strings keeps
# working, and mypy checks the spelling. Nodes coerce a plain string on
# construction (see `_coerce`), so every kind field holds the enum member.
# Generated code writes `kind.value` (an enum's repr is not a Python literal).


class FieldKind(StrEnum):
    """The type of a field or activity property."""

    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    ENUM = "enum"


class BlockKind(StrEnum):
    """A top-level block's keyword."""

    FIELDS = "fields"
    ACTIVITIES = "activities"
    STAGES = "stages"
    ENGAGEMENT = "engagement"
    FIT = "fit"
    GRADES = "grades"
    DEMOTE = "demote"
    DISQUALIFY = "disqualify"
    TEST = "test"


class TestValueKind(StrEnum):
    """The kind of literal written in a test."""

    __test__ = False  # not a pytest class

    STRING = "string"
    NUMBER = "number"
    DATE = "date"
    TIMESTAMP = "timestamp"
    BOOL = "bool"
    WORD = "word"


class ExpectKind(StrEnum):
    """What an `expect` line in a test checks."""

    STAGE = "stage"
    CHANGE = "change"
    GRADE = "grade"
    ENGAGEMENT = "engagement"
    FIT = "fit"
    HIT = "hit"
    NO_HIT = "no_hit"
