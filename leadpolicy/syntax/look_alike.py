"""Names a reviewer could not tell apart: two rule names (or enum members) that differ only by
characters that look the same (a Cyrillic `о` for `o`, a no-break space for a space) or do
not show at all (a zero-width space). `leadpolicy diff` says so of a name removed and one
added; the handoff document says so of two names of one policy."""

from __future__ import annotations

import unicodedata
from typing import Iterable

__all__ = ["look_alike", "look_alike_note", "differences", "look_alike_pairs"]

# Characters that take no room when shown: format characters (zero-width space and joiners, the
# word joiner, a soft hyphen, a byte-order mark) and the Hangul fillers, which are letters
_FILLERS = "\u115f\u1160\u3164\uffa0"


def _unseen(char: str) -> bool:
    return unicodedata.category(char) == "Cf" or char in _FILLERS


def _shown(text: str) -> str:
    """The characters of `text` that take room when it is shown."""
    return "".join(c for c in text if not _unseen(c))


def _same_look(a: str, b: str) -> bool:
    """Two characters that may read as one: the same, two spaces of any kind, or a letter outside
    ASCII standing for an ASCII letter."""
    if a == b or (a.isspace() and b.isspace()):
        return True
    return a.isalpha() and b.isalpha() and (a.isascii() != b.isascii())


def look_alike(old: str, new: str) -> bool:
    """Two names a reviewer could not tell apart: other names, whose characters that show are as
    many, and wherever they differ a letter outside ASCII stands for an ASCII one (a Cyrillic `е`
    for `e`) or a space for a space of another kind; characters that do not show (a zero-width
    space) are not counted. A rule renamed so shows as the same name removed and added, or renamed
    to itself."""
    if old == new:
        return False
    a, b = _shown(old), _shown(new)
    return len(a) == len(b) and all(_same_look(x, y) for x, y in zip(a, b))


def _character(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, '?')}"


def differences(old: str, new: str, was: str = "it was", other: str = "the old name") -> list[str]:
    """Where `new` differs from its look-alike `old`, by the characters' names: `character 3 is
    U+043E CYRILLIC SMALL LETTER O where it was U+006F LATIN SMALL LETTER O` (`was`, `other`: the
    words for `old`), and each character of either that does not show."""
    a, b = _shown(old), _shown(new)
    said = [f"character {i} is {_character(y)} where {was} {_character(x)}"
            for i, (x, y) in enumerate(zip(a, b), 1) if x != y]
    said += [f"it holds {_character(c)}, which does not show" for c in dict.fromkeys(new) if _unseen(c) and c not in old]
    said += [f"{other} holds {_character(c)}, which does not show"
             for c in dict.fromkeys(old) if _unseen(c) and c not in new]
    return said


def look_alike_note(old: str, new: str) -> str:
    """Says where two look-alike names differ, character by character, by the characters' names."""
    said = differences(old, new)
    more = "; ..." if len(said) > 3 else ""
    return f'it looks like "{old}" but is another name: {"; ".join(said[:3])}{more}'


def look_alike_pairs(names: Iterable[str]) -> list[tuple[str, str]]:
    """Each pair of look-alike names among `names`, each pair in the order the names come, pairs in
    that order too. Two names of printable ASCII never look alike, and two that do have the same
    shape (letters, spaces and the other characters where the other has them): only a name with
    another character is compared, and only with the names of its shape."""
    unique = list(dict.fromkeys(names))
    shapes: dict[str, list[int]] = {}
    for i, name in enumerate(unique):
        shapes.setdefault(_shape(name), []).append(i)
    compared: set[tuple[int, int]] = set()
    for i, name in enumerate(unique):
        if not (name.isascii() and name.isprintable()):
            compared.update((min(i, j), max(i, j)) for j in shapes[_shape(name)] if j != i)
    return [(unique[i], unique[j]) for i, j in sorted(compared) if look_alike(unique[i], unique[j])]


def _shape(name: str) -> str:
    """What look-alike names share: the characters that show, a letter as `a`, a space as ` `."""
    return "".join("a" if c.isalpha() else " " if c.isspace() else c for c in _shown(name))
