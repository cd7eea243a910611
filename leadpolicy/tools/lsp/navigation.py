"""Go to definition, find references, rename: across a policy and its `.tests` file.

All three start from the name under the cursor (`SymbolIndex.at`) and work
on its `Key`, so `mql` the stage and a field called `mql_score` never mix,
nor do two activities' properties of the same name.
"""

from __future__ import annotations

import re
from typing import Optional

from leadpolicy.syntax.diagnostics import BAD_CHARACTER, Span
from leadpolicy.syntax.nodes import DISQUALIFIED, IDENTIFIER
from leadpolicy.tools.lsp.documents import Unit
from leadpolicy.tools.lsp.positions import scan, token_at
from leadpolicy.tools.lsp.symbols import Key, Occurrence

Location = tuple[str, Span]  # (path, span)

_LINE_BREAK = re.compile(r"[\n\r]")  # what ends a string (the grammar's STRING)
RENAMABLE = {"field", "activity", "property", "stage", "group", "rule", "grade", "member"}


class RenameError(Exception):
    """A rename that cannot be done; the message says why (shown by the editor)."""


def occurrence_at(unit: Unit, path: str, offset: int) -> Optional[Occurrence]:
    source = unit.source(path)
    if source is None or (unit.tree is None and not unit.test_blocks and unit.partial is None):
        return None
    line1, column1 = source.index.line_column(offset)
    return unit.index.at(path, line1, column1)


def definition(unit: Unit, path: str, offset: int) -> list[Location]:
    occurrence = occurrence_at(unit, path, offset)
    if occurrence is None:
        return _score_block(unit, path, offset) or _any_activity(unit, path, offset)
    declaration = unit.index.declarations.get(occurrence.key)
    return [(declaration.path, declaration.span)] if declaration is not None else []


# A score in a condition or a test is defined by its block: `engagement >= 60` -> `engagement {`.
_SCORE_BLOCKS = {"engagement": "engagement", "fit": "fit", "grade": "grades"}


def _score_block(unit: Unit, path: str, offset: int) -> list[Location]:
    """`engagement`, `fit` or `grade` where it is a value, not the block's own word: that block."""
    source = unit.source(path)
    if source is None or unit.tree is None or unit.policy is None:
        return []
    token = token_at(source.text, offset)
    if token is None or token.kind != "word" or token.text not in _SCORE_BLOCKS:
        return []
    after = next(scan(source.text, token.end), None)
    if after is not None and after.text == "{":  # the block itself
        return []
    block = unit.tree.block(_SCORE_BLOCKS[token.text])
    if block is None or block.span is None:
        return []
    line, column = block.span.line, block.span.column
    return [(unit.policy.path, Span(line, column, line, column + len(block.kind)))]


def _any_activity(unit: Unit, path: str, offset: int) -> list[Location]:
    """`activity` in `did activity` / `no activity` means any declared activity: the `activities`
    block that declares them (not a name, so it has no declaration of its own)."""
    source = unit.source(path)
    if source is None or unit.tree is None or unit.policy is None:
        return []
    token = token_at(source.text, offset)
    if token is None or token.kind != "word" or token.text != "activity":
        return []
    # the word before it, on this line or the one above (`did` at a line's end, `activity` below)
    above = source.text.rfind("\n", 0, source.text.rfind("\n", 0, token.start)) + 1
    before = [tok for tok in scan(source.text, above, token.start) if tok.kind != "comment"]
    if not before or before[-1].text not in ("did", "no"):
        return []
    block = unit.tree.block("activities")
    if block is None or block.span is None:
        return []  # no activity is declared: `did activity` can never hold, and there is nowhere to go
    line, column = block.span.line, block.span.column
    return [(unit.policy.path, Span(line, column, line, column + len(block.kind)))]


def _all_known(unit: Unit, occurrence: Optional[Occurrence]) -> bool:
    """Whether every use of the name is in the index: always when the policy parses; when it does
    not, only if the name is written nowhere outside the blocks that parse (a use there would be
    missing from the answer, and a list of uses that misses one is worse than none)."""
    if occurrence is None:
        return False
    return unit.tree is not None or str(occurrence.key[-1]).lower() not in unit.unparsed_words()


def references(unit: Unit, path: str, offset: int, include_declaration: bool = True) -> list[Location]:
    occurrence = occurrence_at(unit, path, offset)
    if occurrence is None or not _all_known(unit, occurrence):
        return []
    return [(o.path, o.span) for o in unit.index.of(occurrence.key) if include_declaration or not o.declaration]


def highlights(unit: Unit, path: str, offset: int) -> list[tuple[Span, bool]]:
    """Every place of this file that names what the cursor names, and whether it is the declaration."""
    occurrence = occurrence_at(unit, path, offset)
    if occurrence is None or not _all_known(unit, occurrence):
        return []
    return [(o.span, o.declaration) for o in unit.index.of(occurrence.key) if o.path == path]


def unparsed(unit: Unit) -> Optional[str]:
    """Why no rename can be made now: the policy, or its `.tests` file, does not parse, and a use
    of the name there would keep the old one (a policy that does not parse has no names at all)."""
    for source, parsed in ((unit.policy, unit.tree is not None), (unit.tests, unit.tests_parsed)):
        if source is None or parsed:
            continue
        first = next((d for d in unit.diagnostics_for(source.path) if d.is_error), None)
        where = f" (line {first.line}: {first.message.splitlines()[0]})" if first is not None and first.line is not None else ""
        name = source.path.replace("\\", "/").rsplit("/", 1)[-1]
        return f"cannot rename while {name} does not parse{where}: fix it first, so that every use is renamed"
    return None


def prepare_rename(unit: Unit, path: str, offset: int) -> Optional[tuple[Span, str]]:
    """The span to rename and its current text (a rule's name without quotes), or None. Raises
    RenameError, with the reason, while the policy or its tests file does not parse."""
    reason = unparsed(unit)
    if reason is not None:
        raise RenameError(reason)
    occurrence = occurrence_at(unit, path, offset)
    if occurrence is None or occurrence.key[0] not in RENAMABLE:
        return None
    if occurrence.key not in unit.index.declarations:
        return None  # not declared in this policy: nothing to rename consistently
    return occurrence.span, occurrence.key[-1]


def rename(unit: Unit, path: str, offset: int, new_name: str) -> dict[str, list[tuple[Span, str]]]:
    """The edits, per file, that rename the name under the cursor everywhere."""
    from leadpolicy.syntax.keywords import keywords
    from leadpolicy.syntax.parser import quote

    reserved = keywords()

    reason = unparsed(unit)
    if reason is not None:
        raise RenameError(reason)
    occurrence = occurrence_at(unit, path, offset)
    if occurrence is None or occurrence.key[0] not in RENAMABLE:
        raise RenameError("there is no field, activity, property, stage, group, rule, grade or member here to rename")
    key = occurrence.key
    if key not in unit.index.declarations:
        raise RenameError(f"`{key[-1]}` is not declared in this policy")
    kind = key[0]
    if kind in ("rule", "member") and _LINE_BREAK.search(new_name):
        raise RenameError("a name is written on one line: a string cannot hold a line break")
    if kind in ("rule", "member") and BAD_CHARACTER.search(new_name):
        raise RenameError("the new name holds an invisible text-direction character, which a policy cannot contain")
    if kind == "rule":
        name = new_name[1:-1] if len(new_name) >= 2 and new_name[0] == new_name[-1] == '"' else new_name
        if not name.strip():
            raise RenameError("a rule name cannot be empty")
        if ("rule", name) in unit.index.declarations and name != key[1]:
            raise RenameError(f'there is already a rule "{name}"')
        text = quote(name)
    elif kind == "member":
        name = new_name[1:-1] if len(new_name) >= 2 and new_name[0] == new_name[-1] == '"' else new_name
        if not name.strip() or name != name.strip():
            raise RenameError("an enum member cannot be blank or have spaces around it")
        text = name if IDENTIFIER.fullmatch(name) and name not in reserved else quote(name)
        _refuse_a_clash(unit, key, name, "member", f" of `{key[1]}`", without_case=True)
    else:
        name = new_name
        if not IDENTIFIER.fullmatch(name):
            raise RenameError(f"`{name}` is not a name: use letters, digits and `_`, starting with a letter or `_`")
        if name in reserved:
            raise RenameError(f"`{name}` is a word of the language and cannot be a name")
        if kind == "stage" and name.lower() == DISQUALIFIED:
            raise RenameError("`disqualified` is reserved for the disqualified state")
        if kind in ("field", "activity", "stage"):
            for other in ("field", "activity", "stage"):
                for existing in unit.index.keys(other):
                    if existing[1].lower() == name.lower() and existing != key:
                        raise RenameError(f"`{name}` would clash with the {other} `{existing[1]}`")
        elif kind == "property":
            _refuse_a_clash(unit, key, name, "property", f" of `{key[1]}`", without_case=True)
        elif kind == "group":
            _refuse_a_clash(unit, key, name, "fit group", "", without_case=False)
        elif kind == "grade":
            _refuse_a_clash(unit, key, name, "grade", "", without_case=False)
        text = name
    edits: dict[str, list[tuple[Span, str]]] = {}
    for o in unit.index.of(key):
        edits.setdefault(o.path, []).append((o.span, text))
    return edits


def _refuse_a_clash(unit: Unit, key: Key, name: str, what: str, of: str, without_case: bool) -> None:
    """Refuse a name another member of the same enum, property of the same activity, fit group or
    grade already has: the checker compares members and properties without case (duplicate-member,
    duplicate-name), groups and grades as written (duplicate-group, duplicate-grade)."""

    def same(a: str, b: str) -> bool:
        return a.lower() == b.lower() if without_case else a == b

    for existing in unit.index.keys(key[0]):
        if existing != key and existing[:-1] == key[:-1] and same(existing[-1], name):
            raise RenameError(f"`{name}` would clash with the {what} `{existing[-1]}`{of}")
