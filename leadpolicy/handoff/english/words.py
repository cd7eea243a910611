"""Words: articles, plurals, stage names, numbers and sentences; the `Prose` shapes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

from leadpolicy.syntax import nodes as n


@dataclass(frozen=True)
class Clauses:
    """A condition shown as a list: `intro` (no final colon) then its items."""

    intro: str
    items: tuple["Prose", ...]


Prose = Union[str, Clauses]


# ---------------------------------------------------------------- words


# Stage names that are acronyms in every sales team's mouth.
ACRONYMS = frozenset(
    "mql sql sal pql sqo mqa sqa pqa tql mqo icp bdr sdr ae abm cpl poc roi".split()
)

_LETTER_SOUNDS_AN = set("aefhilmnorsx")  # letters whose name starts with a vowel sound


def words(identifier: str) -> str:
    """An identifier as words: underscores become spaces."""
    return identifier.replace("_", " ").strip() or identifier


def is_acronym(text: str) -> bool:
    return text.isupper() and text.isalpha() and len(text) > 1


def article(phrase: str) -> str:
    """`a` or `an` for a noun phrase (acronyms by the sound of their first letter)."""
    first_word = phrase.lstrip('"“').split(" ", 1)[0]
    if not first_word:
        return "a"
    if is_acronym(first_word):
        return "an" if first_word[0].lower() in _LETTER_SOUNDS_AN else "a"
    return "an" if first_word[0].lower() in "aeiou" else "a"


_PAST = frozenset(
    "sent made met read seen saw taken took given gave got done did gone went bought won lost paid held left built"
    " spent sold told thought brought run begun written spoken".split()
)
_FUNCTION_WORDS = frozenset("to for with from of by on at in into about as than".split())


def reads_as_noun(label: str) -> bool:
    """Whether a label can take "a" and a plural `s` ("page view"), unlike "key feature used" or "talk to sales"."""
    parts = label.lower().split()
    if not parts or not all(re.fullmatch(r"[a-z0-9-]+", p) or is_acronym(p.upper()) and p.isalpha() for p in parts):
        return False
    if any(p in _FUNCTION_WORDS for p in parts):
        return False
    first, last = parts[0], parts[-1]
    return not any((w.endswith("ed") and len(w) > 3) or w in _PAST for w in {first, last})


def with_article(phrase: str) -> str:
    return f"{article(phrase)} {phrase}"


def stage_title(name: str) -> str:
    """How a stage is spoken of: `mql` -> "MQL", `closed_won` -> "closed won"."""
    if name.lower() in ACRONYMS or (len(name) <= 4 and name.isalpha() and not re.search("[aeiouyAEIOUY]", name)):
        return name.upper()
    return words(name)


def stage_is_noun(name: str) -> bool:
    """Acronyms name a kind of lead ("an MQL"); other stage names ("hot", "booked") are spoken of as stages."""
    return is_acronym(stage_title(name))


def a_stage(name: str) -> str:
    """A lead at that stage: "an MQL", "a lead at the hot stage"."""
    title = stage_title(name)
    return with_article(title) if stage_is_noun(name) else f"a lead at the {title} stage"


def the_stage(name: str) -> str:
    """The stage as a destination: "MQL", "the lead stage"."""
    title = stage_title(name)
    return title if stage_is_noun(name) else f"the {title} stage"


def becomes(name: str) -> str:
    """ "becomes an MQL", "enters the hot stage"."""
    title = stage_title(name)
    return f"becomes {with_article(title)}" if stage_is_noun(name) else f"enters the {title} stage"


def plural(noun: str) -> str:
    """English plural of the last word of a noun phrase."""
    if not noun:
        return noun
    head, _, last = noun.rpartition(" ")
    lower = last.lower()
    if is_acronym(last):
        last = last + "s"
    elif re.search(r"(s|x|z|ch|sh)$", lower):
        last = last + "es"
    elif re.search(r"[^aeiou]y$", lower):
        last = last[:-1] + "ies"
    else:
        last = last + "s"
    return f"{head} {last}" if head else last


def number(value: float) -> str:
    """A number for people: 10000 -> "10,000", 2.5 -> "2.5", -3 -> "-3"."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,}".rstrip("0").rstrip(".") if "e" not in repr(value) else repr(value)


def points(value: float) -> str:
    """Points with their sign: "+5", "-50", "0"."""
    return ("+" if value > 0 else "") + number(value)


def points_phrase(value: float) -> str:
    """ "5 points", "1 point", "-50 points"."""
    return f"{number(value)} point{'' if abs(value) == 1 else 's'}"


def duration(d: n.Duration) -> str:
    """ "14 days", "1 day", "1.5 weeks"."""
    unit = d.unit if d.amount == 1 else d.unit + "s"
    return f"{number(d.amount)} {unit}"


def join_or(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def sentence(text: str) -> str:
    """Capitalise the first letter (unless it starts a quoted value) and end with a period."""
    text = text.strip()
    if text and text[0].isalpha() and text[0].islower():
        text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


class LiteralText:
    """Literals as both the plain-English renderer and the diagram's shorthand write
    them: numbers for people, strings and odd enum members quoted as the policy would."""

    def visit_Number(self, e: n.Number) -> str:
        return number(e.value)

    def visit_String(self, e: n.String) -> str:
        return n.quote(e.value)

    def visit_DateLit(self, e: n.DateLit) -> str:
        return e.text or str(e.micros)

    def visit_Bool(self, e: n.Bool) -> str:
        return "true" if e.value else "false"

    def visit_EnumValue(self, e: n.EnumValue) -> str:
        return n.member_text(e.member)

    def visit_GradeValue(self, e: n.GradeValue) -> str:
        return e.letter
