"""Where printed conditions get parentheses: one table of levels, syntax/precedence.py
(issue 17 item 1), used by the hint printer (policy text, at the grammar's levels), the
handoff document's English and the diagram's shorthand (a reader's levels, with the
diagram's own extra parentheses). The texts are pinned as they were before the table moved."""

from __future__ import annotations

import pytest

from leadpolicy.check.checker import check
from leadpolicy.check.show import _Shower, show
from leadpolicy.handoff.diagram import criterion
from leadpolicy.handoff.english.expressions import ExpressionEnglish
from leadpolicy.syntax import nodes as n, precedence
from leadpolicy.syntax.parser import parse

# condition as written, the diagram's shorthand, the hint printer's policy text, the English
CASES = [
    ('a * b * c > 1', '(a × b) × c > 1', 'a * b * c > 1',
     'its a times its b times its c is more than 1'),
    ('a * (b * c) > 1', 'a × (b × c) > 1', 'a * (b * c) > 1',
     'its a times its b times its c is more than 1'),
    ('(a + b) * c > 1', '(a + b) × c > 1', '(a + b) * c > 1',
     '(its a plus its b) times its c is more than 1'),
    ('a - (b - c) > 1', 'a - (b - c) > 1', 'a - (b - c) > 1',
     'its a minus (its b minus its c) is more than 1'),
    ('a - b * c > 1', 'a - (b × c) > 1', 'a - b * c > 1',
     'its a minus its b times its c is more than 1'),
    ('a + (b - c) > 1', 'a + b - c > 1', 'a + (b - c) > 1',
     'its a plus its b minus its c is more than 1'),
    ('-(a + b) > 1', '-(a + b) > 1', '-(a + b) > 1',
     'minus (its a plus its b) is more than 1'),
    ('-(a * b) > 1', '-(a × b) > 1', '-(a * b) > 1',
     'minus its a times its b is more than 1'),
    ('- -a > 1', '--a > 1', '--a > 1',
     'minus minus its a is more than 1'),
    ('x and (y or z)', 'x and (y or z)', 'x and (y or z)',
     'its x flag is true and either its y flag is true or its z flag is true'),
    ('x or y and z', 'x or (y and z)', 'x or y and z',
     'its x flag is true or (its y flag is true and its z flag is true)'),
    ('not (x and y)', 'not (x and y)', 'not (x and y)',
     'not all of: its x flag is true; its y flag is true'),
    ('not x or y', 'not x or y', 'not x or y',
     'its x flag is not true (false or unknown) or its y flag is true'),
    ('x and (y and z)', 'x and y and z', 'x and (y and z)',
     'its x flag is true and its y flag is true and its z flag is true'),
    ('x or (y or z)', 'x or y or z', 'x or (y or z)',
     'its x flag is true or its y flag is true or its z flag is true'),
    ('not a > 1', 'not a > 1', 'not a > 1',
     'its a is at most 1 (or unknown)'),
    ('(a + b) * (a - c) >= -(b * c)', '(a + b) × (a - c) ≥ -(b × c)', '(a + b) * (a - c) >= -(b * c)',
     '(its a plus its b) times (its a minus its c) is at least minus its b times its c'),
]
POLICY = ('policy "P" version "1"\nfields { a number  b number  c number  x boolean  y boolean  z boolean }\nstages {\n  new\n'
          + "".join(f"  s{i} when {case[0]}\n" for i, case in enumerate(CASES)) + "}\n")
TREE = check(parse(POLICY, "p.policy")).policy


@pytest.mark.parametrize("index", range(len(CASES)), ids=[case[0] for case in CASES])
def test_each_printer_parenthesises_as_before(index: int) -> None:
    written, diagram, text, english = CASES[index]
    condition = TREE.stages[index + 1].condition
    assert condition is not None
    assert criterion(condition) == diagram
    assert show(condition) == text
    assert ExpressionEnglish(TREE).condition(condition) == english
    assert check(parse(POLICY.replace(written, text), "p.policy")).policy == TREE  # policy text parses back


def test_the_hint_printer_levels_are_the_table() -> None:
    """Every node the hint printer prints reports the level syntax/precedence.py gives its kind."""
    for stage in TREE.stages[1:]:
        pending: list[n.Node] = [stage.condition] if stage.condition is not None else []
        while pending:
            node = pending.pop()
            pending.extend(node.children())
            if isinstance(node, n.Expr):
                assert _Shower().visit(node)[1] == precedence.level(node), node
