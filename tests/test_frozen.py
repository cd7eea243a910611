"""`syntax/frozen.py` behaves as `@dataclass(frozen=True)` does, for the AST's uses."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import Optional

import pytest
from hypothesis import given, strategies as st

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.frozen import Frozen, frozen


@frozen
class Base(Frozen):
    span: Optional[int] = field(default=None, compare=False, repr=False, kw_only=True)


@frozen
class Item(Base):
    name: str
    amount: float = 1.0
    text: str = field(default="", compare=False)
    tags: tuple = field(default_factory=tuple)


@dataclass(frozen=True)
class TwinBase:
    span: Optional[int] = field(default=None, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True)
class Twin(TwinBase):
    name: str
    amount: float = 1.0
    text: str = field(default="", compare=False)
    tags: tuple = field(default_factory=tuple)


values = st.tuples(st.sampled_from(["a", "b"]), st.sampled_from([1.0, 2.0]), st.sampled_from(["", "x"]),
                   st.sampled_from([(), ("t",)]), st.sampled_from([None, 3]))


@given(values, values)
def test_equality_hash_and_repr_match_a_frozen_dataclass(a: tuple, b: tuple) -> None:
    item_a, item_b = (Item(v[0], v[1], v[2], v[3], span=v[4]) for v in (a, b))
    twin_a, twin_b = (Twin(v[0], v[1], v[2], v[3], span=v[4]) for v in (a, b))
    assert (item_a == item_b) == (twin_a == twin_b)
    if item_a == item_b:
        assert hash(item_a) == hash(item_b)
    assert repr(item_a) == repr(twin_a).replace("Twin(", "Item(")


def test_defaults_keywords_replace_and_fields() -> None:
    item = Item("a")
    assert (item.amount, item.text, item.tags, item.span) == (1.0, "", (), None)
    assert Item("a", span=7).span == 7
    with pytest.raises(TypeError):
        Item("a", 1.0, "", (), 7)  # span is keyword-only
    with pytest.raises(TypeError):
        Item()  # name is required
    changed = dataclasses.replace(item, amount=2.0)
    assert changed == Item("a", 2.0) and changed is not item
    assert [f.name for f in dataclasses.fields(Item)] == [f.name for f in dataclasses.fields(Twin)]
    assert Item.__match_args__ == Twin.__match_args__


def test_instances_are_immutable_and_pickle() -> None:
    item = Item("a", tags=("x",), span=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.name = "b"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del item.name  # type: ignore[misc]
    copy = pickle.loads(pickle.dumps(item))
    assert copy == item and copy.span == 3
    assert Item("a") != Twin("a") and Item("a") != ("a", 1.0, ())


def test_every_ast_node_class_is_made_by_frozen() -> None:
    kinds = [value for value in vars(n).values() if isinstance(value, type) and issubclass(value, n.Node)]
    assert len(kinds) > 40
    for kind in kinds:
        assert dataclasses.is_dataclass(kind) and issubclass(kind, Frozen)
        assert "__eq__" not in kind.__dict__, kind  # the shared one, not a generated copy


def test_a_class_must_derive_from_frozen() -> None:
    with pytest.raises(TypeError):
        frozen(type("Plain", (), {"__annotations__": {"x": "int"}}))
