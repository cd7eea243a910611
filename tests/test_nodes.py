"""The tree's typed surface: kinds are enums that still read as their keywords,
the Policy accessors return only what their annotations say, and an enum type
has one text, quoted as the source needs."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from leadpolicy.syntax import nodes as n
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
    assert n.Block("test", ()).kind is n.BlockKind.TEST


def test_accessors_return_only_their_own_class() -> None:
    policy = parse(ACME.read_text(), str(ACME))
    for accessor, cls in [("fields", n.FieldDecl), ("activities", n.ActivityDecl), ("stages", n.StageDecl),
                          ("engagement_rules", n.EngagementRule), ("fit_rules", n.FitRule), ("grades", n.GradeBand),
                          ("demotions", n.DemoteRule), ("disqualifications", n.DisqualifyRule), ("tests", n.TestBlock)]:
        items = getattr(policy, accessor)
        assert items and all(isinstance(item, cls) for item in items), accessor
    assert isinstance(policy.decay, n.Decay)


def test_an_enum_type_reads_as_the_source_writes_it() -> None:
    t = n.FieldType(n.FieldKind.ENUM, ("a", "Closed Won", "and", 'say "hi"', "café"))
    assert str(t) == 'one of (a, "Closed Won", "and", "say \\"hi\\"", "café")'
    assert str(n.FieldType(n.FieldKind.NUMBER)) == "number"


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=8).filter(str.strip),
                min_size=1, max_size=4, unique_by=str.lower))
def test_an_enum_type_text_parses_back_to_the_same_members(members: list[str]) -> None:
    t = n.FieldType(n.FieldKind.ENUM, tuple(members))
    policy = parse(f'policy "P" version "1"\nfields {{ x {t} }}\nstages {{ lead }}\n')
    assert policy.fields[0].type.members == tuple(members)
