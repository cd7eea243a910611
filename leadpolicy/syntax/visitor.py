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

__all__ = ["NodeVisitor", "expression_kinds"]


def expression_kinds() -> frozenset[str]:
    """The class names of every concrete expression node (what a condition may contain)."""
    found: set[str] = set()
    pending: list[type] = [n.Expr]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is not n.Expr:
            found.add(cls.__name__)
    return frozenset(found)


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

    def visit(self, node: n.Node, *args: Any, **kwargs: Any) -> Any:
        method = getattr(self, self.prefix + type(node).__name__, None)
        if method is None:
            return self.generic_visit(node, *args, **kwargs)
        return method(node, *args, **kwargs)

    def generic_visit(self, node: n.Node, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no {self.prefix}{type(node).__name__}")

    @classmethod
    def missing_kinds(cls, kinds: frozenset[str] | None = None) -> list[str]:
        """Expression kinds this walker has no method for and does not excuse."""
        if not cls.exhaustive:
            return []
        wanted = expression_kinds() if kinds is None else kinds
        return sorted(k for k in wanted - cls.never_given if not hasattr(cls, cls.prefix + k))
