"""The tree's typed surface: kinds are enums that still read as their keywords,
the Policy accessors return only what their annotations say, and an enum type
has one text, quoted as the source needs."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from leadpolicy.check import check
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import TEXT_DIRECTION_CHARACTERS
from leadpolicy.syntax.parser import parse

ROOT = Path(__file__).parent.parent
ACME = ROOT / "policies" / "acme.policy"


def test_kinds_are_enum_members_equal_to_their_keywords() -> None:
    policy = parse(ACME.read_text(), str(ACME))
    assert all(type(b.kind) is n.BlockKind for b in policy.blocks)
    assert policy.blocks[0].kind == "fields" and f"{policy.blocks[0].kind}" == "fields"
    assert all(type(f.type.kind) is n.FieldKind for f in policy.fields)
    for test in policy.tests:
        assert all(type(x.kind) is n.ExpectKind for x in test.expectations)
        assert all(type(f.value.kind) is n.TestValueKind for f in test.fields)


def test_a_kind_given_as_its_keyword_is_stored_as_the_enum_and_compares_equal() -> None:
    assert n.FieldType("enum", ("a",)) == n.FieldType(n.FieldKind.ENUM, ("a",))
    assert type(n.FieldType("text").kind) is n.FieldKind
    assert n.make_block("test", ()).kind is n.BlockKind.TEST


def test_accessors_return_only_their_own_class() -> None:
    policy = parse(ACME.read_text(), str(ACME))
    for accessor, cls in [("fields", n.FieldDecl), ("activities", n.ActivityDecl), ("stages", n.StageDecl),
                          ("engagement_rules", n.EngagementRule), ("fit_rules", n.FitRule), ("grades", n.GradeBand),
                          ("demotions", n.DemoteRule), ("disqualifications", n.DisqualifyRule), ("tests", n.TestBlock)]:
        items = getattr(policy, accessor)
        assert items and all(isinstance(item, cls) for item in items), accessor
    assert isinstance(policy.decay, n.Decay)


# What each block kind holds (issue 17 item 3): one class per kind, items of these classes only.
HOLDS = {
    n.FieldsBlock: (n.FieldDecl,), n.ActivitiesBlock: (n.ActivityDecl,), n.StagesBlock: (n.StageDecl,),
    n.EngagementBlock: (n.EngagementRule, n.Decay), n.FitBlock: (n.FitRule, n.FitGroup), n.GradesBlock: (n.GradeBand,),
    n.DemoteBlock: (n.DemoteRule,), n.DisqualifyBlock: (n.DisqualifyRule,), n.TestsBlock: (n.TestBlock,),
}


def test_every_block_kind_has_one_class_whose_kind_is_fixed() -> None:
    assert set(n.BLOCK_CLASSES) == set(n.BlockKind) and set(n.BLOCK_CLASSES.values()) == set(HOLDS)
    for kind, cls in n.BLOCK_CLASSES.items():
        assert cls.kind is kind and "kind" not in {f.name for f in fields(cls)}  # class-level, not a field
        assert type(n.make_block(kind.value, ())) is cls
    with pytest.raises(TypeError, match="make_block"):
        n.Block(())
    assert n.FieldsBlock(()) != n.GradesBlock(()) and n.FieldsBlock(()) == n.FieldsBlock((), span=None)


@pytest.mark.parametrize("path", sorted((ROOT / "policies").glob("*.policy")), ids=lambda p: p.name)
def test_the_parser_builds_typed_blocks(path: Path) -> None:
    policy = parse(path.read_text(), str(path))
    checked = check(policy).policy
    for tree in (policy, checked):
        for block in tree.blocks:
            assert type(block) is n.BLOCK_CLASSES[block.kind]
            assert all(type(item) in HOLDS[type(block)] for item in block.items), block.kind
    fit = checked.first(n.FitBlock)
    if fit is not None:
        assert checked.fit_groups == tuple(i for i in fit.items if isinstance(i, n.FitGroup))
        assert all(rule.group is not None for g in checked.fit_groups for rule in g.rules)


def test_an_enum_type_reads_as_the_source_writes_it() -> None:
    t = n.FieldType(n.FieldKind.ENUM, ("a", "Closed Won", "and", 'say "hi"', "café"))
    assert str(t) == 'one of (a, "Closed Won", "and", "say \\"hi\\"", "café")'
    assert str(n.FieldType(n.FieldKind.NUMBER)) == "number"


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters=TEXT_DIRECTION_CHARACTERS), min_size=1, max_size=8).filter(str.strip),
                min_size=1, max_size=4, unique_by=str.lower))
def test_an_enum_type_text_parses_back_to_the_same_members(members: list[str]) -> None:
    t = n.FieldType(n.FieldKind.ENUM, tuple(members))
    policy = parse(f'policy "P" version "1"\nfields {{ x {t} }}\nstages {{ lead }}\n')
    assert policy.fields[0].type.members == tuple(members)
