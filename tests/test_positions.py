"""`node_at`: from a place in the source to its node, and back through the node's span."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.parser import parse
from leadpolicy.syntax.positions import node_at, offset_at, path_to

TEXT = """policy "p" version "1"
fields { budget number  tier one of (gold, silver) }
stages {
  lead
  mql when budget > 1_000 and tier = gold   # a comment
}
"""


def test_the_innermost_node_and_back() -> None:
    policy = parse(TEXT)
    offset = TEXT.index("1_000")
    node = node_at(policy, offset)
    assert isinstance(node, n.Number) and node.text == "1_000"
    assert TEXT[node.span.start : node.span.end] == "1_000"
    kinds = [type(x).__name__ for x in path_to(policy, offset)]
    assert kinds[0] == "Policy" and kinds[-3:] == ["And", "Compare", "Number"]


def test_an_editor_position_maps_to_the_same_offset() -> None:
    assert offset_at(TEXT, 5, 3) == TEXT.index("mql")
    assert isinstance(node_at(parse(TEXT), offset_at(TEXT, 5, 3)), n.StageDecl)


def test_outside_every_node_is_none() -> None:
    assert node_at(parse(TEXT), len(TEXT) + 10) is None


@given(st.integers(min_value=0, max_value=len(TEXT) - 1))
@settings(max_examples=200)
def test_every_node_found_holds_the_offset_and_nothing_inside_it_does_too(offset: int) -> None:
    policy = parse(TEXT)
    node = node_at(policy, offset)
    if node is None:
        return
    assert node.span.start <= offset < node.span.end
    assert not any(c.span and c.span.start <= offset < c.span.end for c in node.children())


def test_a_50000_member_chain_is_searched_without_recursion() -> None:
    chain = " or ".join(f'tier = "t{i}"' for i in range(50_000))
    text = 'policy "p" version "1"\nfields { tier text }\nstages { lead mql when ' + chain + " }\n"
    node = node_at(parse(text), text.index('"t49999"'))
    assert isinstance(node, n.String) and node.value == "t49999"
