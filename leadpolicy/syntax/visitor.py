"""One way to walk the tree: dispatch on the node's class name.

As the standard library's `ast.NodeVisitor` and Jinja's `visitor.py`: a
subclass writes one method per node kind, named PREFIX + class name
(`visit_Compare`, `emit_Compare`, ...). Every walker in leadpolicy (checker,
reference interpreter, code emitters, English, diagram, formatter, SQL)
derives from `NodeVisitor`, so `tests/test_visitors.py` can prove that each
one handles every node kind it declares it handles.
"""

from __future__ import annotations

from typing import Any, ClassVar

from leadpolicy.syntax import nodes as n

__all__ = ["NodeVisitor", "block_kinds", "expression_kinds"]


def _concrete(base: type) -> frozenset[str]:
    found: set[str] = set()
    pending: list[type] = [base]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is not base:
            found.add(cls.__name__)
    return frozenset(found)


def expression_kinds() -> frozenset[str]:
    """The class names of every concrete expression node (what a condition may contain)."""
    return _concrete(n.Expr)


def block_kinds() -> frozenset[str]:
    """The class names of every block node (`FieldsBlock`, ..., one per `BlockKind`)."""
    return _concrete(n.Block)


class NodeVisitor:
    """Dispatch `visit(node)` to `self.<prefix><ClassName>(node, ...)`.

    `prefix` names the method family; `handles` names the node kinds the
    walker must have a method for (checked by the exhaustive test). A kind a
    walker is not given never reaches it, by contract: the checker replaces
    every `Name` before any back end runs, for instance.
    """

    prefix: ClassVar[str] = "visit_"
    # Node kinds this walker is never given (documented, and excused by the exhaustive test).
    never_given: ClassVar[frozenset[str]] = frozenset()
    # False for a traversal that handles every kind in its own generic_visit (it
    # collects facts rather than translating): then no per-kind methods are owed.
    exhaustive: ClassVar[bool] = True
    # True for a walker handed whole blocks (the formatter): it owes a method per block kind too.
    given_blocks: ClassVar[bool] = False

    def visit(self, node: n.Node, *args: Any, **kwargs: Any) -> Any:
        method = getattr(self, self.prefix + type(node).__name__, None)
        if method is None:
            method = self._inherited(type(node))
            if method is None:
                return self.generic_visit(node, *args, **kwargs)
        return method(node, *args, **kwargs)

    def _inherited(self, kind: type) -> Any:
        """The explicit shared fallback: a method named for a node base class below `Node`
        (`visit_Block` handles every block kind a walker has no own method for)."""
        for base in kind.__mro__[1:]:
            if base is n.Node:
                return None
            method = getattr(self, self.prefix + base.__name__, None)
            if method is not None:
                return method
        return None

    def generic_visit(self, node: n.Node, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no {self.prefix}{type(node).__name__}")

    @classmethod
    def missing_kinds(cls, kinds: frozenset[str] | None = None) -> list[str]:
        """Node kinds this walker has no method for (its own, or its base class's) and does not
        excuse: the expression kinds, and the block kinds when it is given blocks."""
        if not cls.exhaustive:
            return []
        if kinds is None:
            kinds = expression_kinds() | (block_kinds() if cls.given_blocks else frozenset())
        classes = {c.__name__: c for c in _subclasses(n.Node)}
        return sorted(k for k in kinds - cls.never_given if not cls._handles(classes.get(k), k))

    @classmethod
    def _handles(cls, kind: type | None, name: str) -> bool:
        names = [name] if kind is None else [c.__name__ for c in kind.__mro__[: kind.__mro__.index(n.Node)]]
        return any(hasattr(cls, cls.prefix + each) for each in names)


def _subclasses(base: type) -> list[type]:
    found: list[type] = []
    pending = [base]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found
